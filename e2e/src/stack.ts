import { startStack, type Stack } from '@shop/launcher';

export interface E2EStack {
  mcpUrl: string;
  gatewayUrl: string;
  /** Base URL of the orders service HTTP API (fulfilment operations), when reachable. */
  ordersUrl: string | undefined;
  mailDir: string | undefined;
  stack: Stack | undefined;
  stop: () => Promise<void>;
}

/**
 * The system under test: with E2E_MCP_URL, a stack that is already running (e.g. docker compose up);
 * otherwise a fresh one started through the same launcher as `npm start`.
 */
export async function e2eStack(opts: { serviceEnv?: Record<string, Record<string, string>> } = {}): Promise<E2EStack> {
  const external = process.env.E2E_MCP_URL;
  if (external) {
    const mcp = new URL(external);
    return {
      mcpUrl: mcp.toString(),
      gatewayUrl: mcp.origin,
      ordersUrl: process.env.E2E_ORDERS_URL,
      mailDir: process.env.E2E_MAIL_DIR,
      stack: undefined,
      stop: async () => undefined,
    };
  }
  const stack = await startStack({ fresh: true, randomPorts: true, logLevel: process.env.E2E_LOG_LEVEL ?? 'warn', serviceEnv: opts.serviceEnv });
  return {
    mcpUrl: stack.mcpUrl,
    gatewayUrl: stack.gatewayUrl,
    ordersUrl: stack.processes.get('orders')?.url,
    mailDir: stack.processes.get('orders')?.env.MAIL_DIR,
    stack,
    stop: () => stack.stop(),
  };
}
