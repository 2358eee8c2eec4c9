import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start, type RunningPayments, type StartOptions } from '../src/main.js';
import type { PaymentProvider } from '../src/domain/provider.js';

export interface Stack {
  svc: RunningPayments;
  db: Awaited<ReturnType<typeof freshDatabase>>;
  close(): Promise<void>;
}

export async function bootPayments(label: string, extra: Record<string, string> = {}, options: StartOptions = {}): Promise<Stack> {
  const db = await freshDatabase(label);
  const svc = await start(testEnv(db.url, freshPrefix(), extra), options);
  return {
    svc,
    db,
    close: async () => {
      await svc.stop();
      await db.drop();
    },
  };
}

/** Instrumentation, not a mock: the real provider does the work; this only counts the calls. */
export function countingProvider(calls: Record<string, number>) {
  return (inner: PaymentProvider): PaymentProvider =>
    new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
          return value.apply(target, args);
        };
      },
    });
}

export async function outboxEvents(stack: Stack, subject: string): Promise<Array<{ id: string; data: Record<string, unknown> }>> {
  const { rows } = await stack.svc.runtime.pool.query<{ payload: { id: string; data: Record<string, unknown> } }>(
    'select payload from outbox where subject = $1 order by id',
    [subject],
  );
  return rows.map((r) => r.payload);
}

export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
