# Shared by build-local-images.sh and run.sh (sourced).

# A docker client that can build with BuildKit (needed for `RUN --mount=type=secret`): docker 23
# and later need the buildx plugin for that, older clients have BuildKit built in. On a machine
# with a newer client first on the PATH (no buildx) and Debian's docker.io 20.10 in /usr/bin, that
# is the latter. API versions are negotiated, so either client talks to the daemon.
pick_docker() {
  local c major
  for c in $(type -ap docker) /usr/bin/docker; do
    [ -x "$c" ] || continue
    if "$c" buildx version >/dev/null 2>&1; then echo "$c"; return; fi
    major=$("$c" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)
    if [ -n "$major" ] && [ "$major" -lt 23 ] 2>/dev/null; then echo "$c"; return; fi
  done
  echo "no docker client that can build with BuildKit: install docker-buildx or Debian's docker.io" >&2
  return 1
}
