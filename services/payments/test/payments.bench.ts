// Latency and throughput of the payments NATS API (demo provider) against real PostgreSQL and
// NATS. Run: npx vitest bench --run services/payments
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { paymentsApi } from '@shop/contracts';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start } from '../src/main.js';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let svc: Awaited<ReturnType<typeof start>>;
let replayKey: string;
let replayOrder: string;
let paymentId: string;

const authorize = (over: Record<string, unknown> = {}) =>
  svc.runtime.bus.call(paymentsApi.authorize, {
    order_id: randomUUID(),
    amount: 3858,
    currency: 'USD',
    idempotency_key: `bench-${randomUUID()}`,
    payment_method_id: 'pm_card_visa',
    customer: 'bench',
    ...over,
  } as never);

beforeAll(async () => {
  db = await freshDatabase('payments_bench');
  svc = await start(testEnv(db.url, freshPrefix(), { LOG_LEVEL: 'warn' }));
  replayKey = `bench-${randomUUID()}`;
  replayOrder = randomUUID();
  paymentId = (await authorize({ idempotency_key: replayKey, order_id: replayOrder })).id;
});

afterAll(async () => {
  await svc?.stop();
  await db?.drop();
});

describe('payments over NATS', () => {
  bench('authorize (new key)', async () => {
    await authorize();
  });
  bench('authorize (replayed key: the finished answer, no lock)', async () => {
    await authorize({ idempotency_key: replayKey, order_id: replayOrder });
  });
  bench('get', async () => {
    await svc.runtime.bus.call(paymentsApi.get, { payment_id: paymentId });
  });
  bench('refund 1 cent (row-locked)', async () => {
    await svc.runtime.bus.call(paymentsApi.refund, { payment_id: paymentId, amount: 1, idempotency_key: `bench-${randomUUID()}` });
  });
});
