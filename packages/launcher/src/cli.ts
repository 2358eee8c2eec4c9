import { startStack } from './stack.js';

/** `npm start`: infrastructure, every built service as its own process, URLs, clean Ctrl-C. */
async function main() {
  console.log('Starting the store…');
  let stack;
  try {
    stack = await startStack({ echoLogs: process.env.LOG_TO_CONSOLE === '1' });
  } catch (e) {
    console.error(`\nCould not start: ${(e as Error).message}`);
    process.exit(1);
  }
  for (const note of stack.infra.notes) console.log(`  ${note}`);
  console.log('');
  for (const p of stack.processes.values()) console.log(`  ${p.spec.name.padEnd(12)} ${p.url}  (logs: ${p.logFile})`);
  if (stack.processes.has('mcp-gateway')) {
    console.log(`
  MCP endpoint:  ${stack.mcpUrl}
  Playground:    ${stack.playgroundUrl}

  Connect ChatGPT: expose the gateway through a tunnel (e.g. \`cloudflared tunnel --url ${stack.gatewayUrl}\`
  or \`ngrok http ${new URL(stack.gatewayUrl).port}\`), restart with PUBLIC_URL=https://<tunnel-host> and
  ALLOWED_HOSTS=<tunnel-host>, then add https://<tunnel-host>/mcp as a connector in ChatGPT (developer mode).`);
  }
  console.log('\nReady. Press Ctrl-C to stop.');
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await stack.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

void main();
