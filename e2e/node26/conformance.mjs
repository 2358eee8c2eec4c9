// The current MCP conformance suite against the gateway, once per protocol era (2025-11-25 with
// sessions, 2026-07-28 stateless).
// The launcher starts the whole stack (fresh databases and NATS prefix, free ports) on the Node
// running this script; the suite runs through npx on the same Node (>= 22 needed). Each era has
// a checked-in expected-failures list (conformance-<era>.yml): the suite fails the run on a
// failure not listed there AND on a listed one that passes (a stale entry).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack } from '@shop/launcher';

/** 0.2.x is the line that knows 2026-07-28 (0.1.16, the latest stable, stops at 2025-11-25). */
const CONFORMANCE = '@modelcontextprotocol/conformance@0.2.0-alpha.12';
/** `all`: the pending scenarios too, since a product server may pass what the reference fixture cannot. */
const ERAS = [
  { specVersion: '2025-11-25', suite: 'all' },
  { specVersion: '2026-07-28', suite: 'all' },
];

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  console.error(`conformance needs Node >= 22 (this is ${process.version}); run it through e2e/node26/run.sh`);
  process.exit(1);
}

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const stack = await startStack({ fresh: true, randomPorts: true, logLevel: 'warn', dataDir: path.join(root, '.data', 'conformance') });
let failed = [];
try {
  // stack.mcpUrl is http://localhost:<port>/mcp: dns-rebinding-protection needs a localhost URL.
  for (const { specVersion, suite } of ERAS) {
    console.log(`\n== conformance ${specVersion} against ${stack.mcpUrl}`);
    const code = await run('npx', [
      '-y', CONFORMANCE, 'server',
      '--url', stack.mcpUrl,
      '--spec-version', specVersion,
      '--suite', suite,
      '--expected-failures', path.join(here, `conformance-${specVersion}.yml`),
      '-o', path.join(root, 'artifacts', 'conformance', specVersion),
    ]);
    if (code !== 0) failed.push(specVersion);
  }
} finally {
  await stack.stop();
}
if (failed.length) {
  console.error(`conformance: unexpected results for ${failed.join(', ')} (see the summary above; results in artifacts/conformance/)`);
  process.exit(1);
}
console.log(`conformance: ${ERAS.map((e) => e.specVersion).join(', ')} as expected`);
