import { ownInfraOptions, startStack, type Stack } from '@shop/launcher';
import { createPool, type Pool } from '@shop/kit';

export const DATABASES = ['catalog', 'cart', 'orders', 'payments'] as const;
export type Db = (typeof DATABASES)[number];

/** Short timers so reservations expire, sagas recover and carts sweep within the run. */
export const RESERVATION_TTL_S = 8;
export const SAGA_GRACE_MS = 3_000;
export const RECOVERY_MS = 1_000;

export interface FaultStack {
  stack: Stack;
  dataDir: string;
  mailDir: string;
  db: Record<Db, Pool>;
  stop: () => Promise<void>;
}

/**
 * The whole system on its OWN infrastructure: a launcher-owned embedded PostgreSQL and nats-server
 * on free ports with data under a temp dir, so stopping them never touches the machine's shared
 * servers other test files use.
 */
export async function startFaultStack(): Promise<FaultStack> {
  const { dataDir, env } = await ownInfraOptions();
  const stack = await startStack({
    fresh: true,
    randomPorts: true,
    dataDir,
    // The data dir is temporary and kept only when an invariant fails, databases included.
    keepDatabases: true,
    env,
    logLevel: process.env.FAULTS_LOG_LEVEL ?? 'info',
    serviceEnv: {
      catalog: { RESERVATION_TTL_SECONDS: String(RESERVATION_TTL_S), RESERVATION_SWEEP_MS: '500' },
      orders: { ORDERS_RECOVERY_MS: String(RECOVERY_MS), ORDERS_SAGA_GRACE_MS: String(SAGA_GRACE_MS), ORDERS_RESERVATION_TTL_S: String(RESERVATION_TTL_S) },
      // Every shopper comes from 127.0.0.1: the per-IP limit would throttle the load, not test it.
      'mcp-gateway': { RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '1000000', MCP_MAX_SESSIONS_PER_IP: '100000', MCP_MAX_SESSIONS: '100000', BUS_TIMEOUT_MS: '5000' },
    },
  });
  const db = Object.fromEntries(DATABASES.map((name) => [name, createPool(stack.databaseUrlFor(name), 3)])) as Record<Db, Pool>;
  return {
    stack,
    dataDir,
    mailDir: stack.processes.get('orders')!.env.MAIL_DIR,
    db,
    stop: async () => {
      await Promise.all(Object.values(db).map((p) => p.end().catch(() => undefined)));
      await stack.stop();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until check returns a value (not undefined) or the deadline passes; returns the last value seen. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    try {
      value = await check();
    } catch {
      value = undefined;
    }
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(everyMs);
  }
}

/** GET /readyz of a service: status code and body (null when the process does not answer at all). */
export async function readyz(url: string): Promise<{ status: number; body: any } | null> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) });
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch {
    return null;
  }
}
