import { randomUUID } from 'node:crypto';
import { paymentsApi } from '@shop/contracts';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start } from './main.js';

/** Latency percentiles and throughput of the payments NATS API (demo provider, local Postgres and NATS). */
function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  return { p50: at(50).toFixed(2), p95: at(95).toFixed(2), p99: at(99).toFixed(2), max: sorted[sorted.length - 1].toFixed(2) };
}

async function timed(n: number, fn: (i: number) => Promise<unknown>) {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return percentiles(samples);
}

async function throughput(n: number, concurrency: number, fn: (i: number) => Promise<unknown>) {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  return { requests: n, concurrency, seconds: seconds.toFixed(2), per_second: Math.round(n / seconds) };
}

async function main() {
  const db = await freshDatabase('payments_bench');
  const svc = await start(testEnv(db.url, freshPrefix(), { LOG_LEVEL: 'warn' }));
  const bus = svc.runtime.bus;
  const authorize = (over: Record<string, unknown> = {}) =>
    bus.call(paymentsApi.authorize, {
      order_id: randomUUID(),
      amount: 3858,
      currency: 'USD',
      idempotency_key: `bench-${randomUUID()}`,
      payment_method_id: 'pm_card_visa',
      customer: 'bench',
      ...over,
    });
  try {
    await timed(50, () => authorize());
    const replayKey = `bench-${randomUUID()}`;
    const replayOrder = randomUUID();
    const first = await authorize({ idempotency_key: replayKey, order_id: replayOrder });
    const results = {
      'authorize (new key), ms': await timed(500, () => authorize()),
      'authorize (replayed key), ms': await timed(500, () => authorize({ idempotency_key: replayKey, order_id: replayOrder })),
      'get, ms': await timed(500, () => bus.call(paymentsApi.get, { payment_id: first.id })),
      'refund 1 cent (row-locked), ms': await timed(300, () => bus.call(paymentsApi.refund, { payment_id: first.id, amount: 1, idempotency_key: `bench-${randomUUID()}` })),
      'authorize throughput': await throughput(2_000, 32, () => authorize()),
    };
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await svc.stop();
    await db.drop();
  }
}

main().catch((e) => {
  console.error('bench failed:', (e as Error).message);
  process.exit(1);
});
