import { rmSync } from 'node:fs';
import { ownInfraOptions, startStack, type Stack } from '@shop/launcher';

/**
 * The whole system as `npm start` runs it by default — launcher-owned PostgreSQL (passwords, one
 * role per service) and nats-server (users and permissions) — but on its OWN servers, free ports
 * and a temp data dir, so the suite sees the real trust boundary and never the shared open servers.
 */
export async function startSecuredStack(serviceEnv: Record<string, Record<string, string>> = {}): Promise<{ stack: Stack; dataDir: string; stop: () => Promise<void> }> {
  const { dataDir, env } = await ownInfraOptions();
  const stack = await startStack({ fresh: true, randomPorts: true, dataDir, env, logLevel: process.env.SECURITY_LOG_LEVEL ?? 'warn', serviceEnv });
  return {
    stack,
    dataDir,
    stop: async () => {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
