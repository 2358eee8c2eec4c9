#!/usr/bin/env bash
# npm run test:compose: docker-compose.yml built, started, tested and broken, as users run it.
#   1. one container per service: the fault run (e2e/compose/single.test.ts: a crash of each service,
#      nats and postgres stopped and started, a 15 s network partition), then the e2e suite;
#   2. two of each domain service (--scale) on the three-node NATS cluster (docker-compose.cluster.yml):
#      e2e/compose/scaled.test.ts (requests spread, a crash of one instance of each, a NATS node lost).
# Installs docker.io / docker-compose / debootstrap and starts dockerd when missing; builds the images
# locally (e2e/compose/build-local-images.sh, reusing what exists) unless COMPOSE_UPSTREAM_IMAGES=1.
# Containers, networks and volumes are removed at the end, also when a step fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=e2e/compose
# shellcheck source=lib.sh
. "$here/lib.sh"
started=$SECONDS
log() { printf '\n== %s (%s, +%ss)\n' "$*" "$(date -u +%H:%M:%S)" "$((SECONDS - started))"; }

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
[ "${COMPOSE_UPSTREAM_IMAGES:-0}" = 1 ] || command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  $SUDO apt-get install -y -q "${need[@]}" || { $SUDO apt-get update -q && $SUDO apt-get install -y -q "${need[@]}"; }
fi
DOCKER=$(pick_docker)
export DOCKER
if ! "$DOCKER" info >/dev/null 2>&1; then
  log "starting dockerd"
  $SUDO sh -c 'nohup dockerd >/var/log/convo-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 0.5; done
  "$DOCKER" info >/dev/null || { echo "dockerd did not start; see /var/log/convo-dockerd.log" >&2; exit 1; }
fi

if [ "${COMPOSE_UPSTREAM_IMAGES:-0}" = 1 ]; then
  log "building the project image on upstream images"
  docker-compose build
else
  log "building local images"
  images=$("$here/build-local-images.sh")
  eval "export $(echo "$images" | tr '\n' ' ')"
  echo "$images"
fi
log "building the workspace on the host (the checks import @shop/kit)"
npx tsc -b

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-convoci$$}
export COMPOSE_TEST_PG_PORT=$(free_port) COMPOSE_TEST_NATS_PORT=$(free_port) COMPOSE_TEST_NATS2_PORT=$(free_port) COMPOSE_TEST_NATS3_PORT=$(free_port)
gateway_port=$(free_port)
export GATEWAY_PUBLISH="127.0.0.1:$gateway_port" PAYMENTS_PUBLISH="127.0.0.1:" ACCOUNTS_PUBLISH="127.0.0.1:"
# Fresh random secrets for this run (the images run with NODE_ENV=production, which refuses
# default ones), exported for docker-compose and for the checks (NATS admin, postgres superuser,
# the operator's HTTP token). The file lives only for the run.
secrets_dir=$(mktemp -d /tmp/convo-compose-env.XXXXXX)
node "$here/make-env.mjs" >"$secrets_dir/env"
set -a
# shellcheck disable=SC1091
. "$secrets_dir/env"
set +a
COMPOSE_TEST_MAIL_DIR=$(mktemp -d /tmp/convo-compose-mail.XXXXXX)
chmod 0777 "$COMPOSE_TEST_MAIL_DIR" # the services run as uid 1000
export COMPOSE_TEST_MAIL_DIR
export E2E_MCP_URL="http://127.0.0.1:$gateway_port/mcp" E2E_MAIL_DIR="$COMPOSE_TEST_MAIL_DIR"
single_files="docker-compose.yml:$here/docker-compose.test.yml"
cluster_files="docker-compose.yml:docker-compose.cluster.yml:$here/docker-compose.test.yml:$here/docker-compose.cluster-test.yml"

down() {
  # The cluster file set names every service and volume of both topologies.
  COMPOSE_FILE=$cluster_files docker-compose down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
}
cleanup() {
  local rc=$?
  log "removing containers, networks and volumes of $COMPOSE_PROJECT_NAME"
  down
  rm -rf "$COMPOSE_TEST_MAIL_DIR" "$secrets_dir"
  log "compose run finished (exit $rc) in $((SECONDS - started)) s"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# docker-compose 1.29 has no `up --wait`: poll the health of every container of the project.
wait_healthy() {
  local deadline=$((SECONDS + ${1:-180})) bad
  while :; do
    bad=$("$DOCKER" ps -a --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --format '{{.Names}} {{.Status}}' | grep -v '(healthy)' || true)
    [ -z "$bad" ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      echo "not healthy after ${1:-180} s:" >&2; echo "$bad" >&2
      return 1
    fi
    sleep 1
  done
}

status=0
# On a failure, the services' logs go to artifacts/compose/<topology>.log (.ci/run lists artifacts).
keep_logs() {
  mkdir -p artifacts/compose
  docker-compose logs --no-color --timestamps >"artifacts/compose/$1.log" 2>&1 || true
  echo "service logs: artifacts/compose/$1.log" >&2
}
up() {
  local topology=$1
  shift
  if ! docker-compose up -d --no-build "$@" || ! wait_healthy; then
    keep_logs "$topology"
    docker-compose logs --no-color --tail 20 >&2 || true
    return 1
  fi
}
vitest_compose() {
  local topology=$1
  shift
  npx vitest run --config "$here/vitest.config.ts" "$@" || { status=$?; keep_logs "$topology"; }
}

log "up: one container per service"
export COMPOSE_FILE=$single_files
up single
log "fault run on the compose stack"
vitest_compose single "$here/single.test.ts"
log "e2e suite against the compose stack (after the faults)"
orders_port=$("$DOCKER" port "$(docker-compose ps -q orders | head -1)" 4103/tcp | head -1 | sed 's/.*://')
E2E_ORDERS_URL="http://127.0.0.1:$orders_port" npx vitest run e2e/test || { status=$?; keep_logs single-e2e; }
down
# The scaled stack numbers its orders from 1 again: the single run's mails would stand for its orders.
find "$COMPOSE_TEST_MAIL_DIR" -mindepth 1 -delete

log "up: two of each domain service on the three-node NATS cluster"
export COMPOSE_FILE=$cluster_files
up scaled-cluster --scale catalog=2 --scale cart=2 --scale orders=2 --scale payments=2
log "scale-out and cluster run"
vitest_compose scaled-cluster "$here/scaled.test.ts"

exit $status
