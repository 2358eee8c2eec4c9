#!/usr/bin/env bash
# MCP conformance (the scenarios that apply to a product server) against the gateway.
# With MCP_URL set, tests that server; otherwise starts the built gateway on a free port
# (NATS at NATS_URL, default nats://127.0.0.1:4222) and stops it afterwards.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
conformance="$root/node_modules/.bin/conformance"
scenarios=(server-initialize ping tools-list resources-list dns-rebinding-protection)

gateway_pid=""
cleanup() { if [ -n "$gateway_pid" ]; then kill "$gateway_pid" 2>/dev/null || true; wait "$gateway_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

if [ -z "${MCP_URL:-}" ]; then
  port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  HTTP_PORT="$port" HTTP_HOST=127.0.0.1 PUBLIC_URL="http://localhost:$port" NATS_PREFIX="conf$RANDOM$RANDOM." LOG_LEVEL="${LOG_LEVEL:-warn}" \
    node "$root/services/mcp-gateway/dist/main.js" &
  gateway_pid=$!
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  # dns-rebinding-protection needs a localhost URL.
  MCP_URL="http://localhost:$port/mcp"
fi

failed=0
for s in "${scenarios[@]}"; do
  out="$("$conformance" server --url "$MCP_URL" --scenario "$s" 2>&1)" || failed=1
  echo "$out"
  grep -qE 'Passed: [0-9]+/[0-9]+, 0 failed' <<<"$out" || failed=1
done
if [ "$failed" -ne 0 ]; then echo "conformance: FAILED" >&2; exit 1; fi
echo "conformance: all ${#scenarios[@]} scenarios passed"
