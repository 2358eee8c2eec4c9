import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, paymentEvents, paymentsApi } from '@shop/contracts';
import type { PaymentProvider } from '../src/domain/provider.js';
import { bootPayments, countingProvider, outboxEvents, type Stack } from './helpers.js';

const HANG_MS = 1_500;
const SLOW = 'slow-shopper';

const authorize = (stack: Stack, over: Record<string, unknown> = {}) =>
  stack.svc.runtime.bus.call(
    paymentsApi.authorize,
    { order_id: randomUUID(), amount: 2500, currency: 'USD', idempotency_key: `k-${randomUUID()}`, payment_method_id: 'pm_card_visa', customer: 'user_1', ...over },
    { timeoutMs: 15_000 },
  );

describe('provider calls happen outside database transactions', () => {
  let stack: Stack;
  const calls: Record<string, number> = {};
  beforeAll(async () => {
    // Two pooled connections only, and a demo provider that takes 1.5 s for one customer.
    stack = await bootPayments('payments_intents', { DB_POOL_MAX: '2', NODE_ENV: 'test', PAYMENTS_TEST_HANG_CUSTOMER: SLOW, PAYMENTS_TEST_HANG_MS: String(HANG_MS) }, { wrapProvider: countingProvider(calls) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a slow provider holds no pooled connection: 5 concurrent authorisations on a pool of 2 finish in one provider round, and the pool stays free', async () => {
    const { pool } = stack.svc.runtime;
    const started = performance.now();
    const pending = Array.from({ length: 5 }, () => authorize(stack, { customer: SLOW }));
    await new Promise((r) => setTimeout(r, HANG_MS / 2));
    // Mid-hang, the service's own pool answers at once: nothing is holding its connections.
    const probeStarted = performance.now();
    await pool.query('select 1');
    const probeMs = performance.now() - probeStarted;
    expect(pool.waitingCount).toBe(0);
    const payments = await Promise.all(pending);
    const elapsed = performance.now() - started;
    expect(payments.map((p) => p.status)).toEqual(['captured', 'captured', 'captured', 'captured', 'captured']);
    expect(probeMs).toBeLessThan(500);
    // Holding a connection across the call would take three rounds (2 + 2 + 1) of 1.5 s.
    expect(elapsed).toBeLessThan(2 * HANG_MS);
  });

  it('a duplicate request during the provider call waits for it: one provider call, one payment', async () => {
    const before = calls.authorize ?? 0;
    const req = { order_id: randomUUID(), idempotency_key: `dup-${randomUUID()}`, customer: SLOW };
    const [a, b] = await Promise.all([authorize(stack, req), authorize(stack, req)]);
    expect(a.id).toBe(b.id);
    expect(a.status).toBe('captured');
    expect((calls.authorize ?? 0) - before).toBe(1);
  });

  it('refunds record which caller asked', async () => {
    const payment = await authorize(stack);
    const { bus, pool } = stack.svc.runtime;
    await bus.call(paymentsApi.refund, { payment_id: payment.id, amount: 500, idempotency_key: `r-${randomUUID()}`, requested_by: 'orders' });
    await bus.call(paymentsApi.refund, { payment_id: payment.id, amount: 500, idempotency_key: `r-${randomUUID()}` });
    const { rows } = await pool.query('select requested_by, amount, status, settled_at is not null as settled from refunds where payment_id = $1 order by created_at', [payment.id]);
    expect(rows).toEqual([
      { requested_by: 'orders', amount: 500, status: 'succeeded', settled: true },
      { requested_by: 'unknown', amount: 500, status: 'succeeded', settled: true },
    ]);
    const refused = await bus.call(paymentsApi.refund, { payment_id: payment.id, idempotency_key: `r-${randomUUID()}`, requested_by: 'Not A Service' }).catch((e: AppError) => e);
    expect(refused).toMatchObject({ code: 'INVALID_INPUT' });
  });
});

/** The real demo provider, whose named operation fails as a lost connection would the first `times` calls. */
function failingFirst(op: 'authorize' | 'refund', times: number) {
  let left = times;
  return (inner: PaymentProvider): PaymentProvider =>
    new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        // Only the named operation is wrapped: the others (testCards is synchronous) stay as they are.
        if (typeof value !== 'function' || prop !== op) return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          if (left-- > 0) {
            await value.apply(target, args); // the provider did it; only the answer is lost
            throw new Error('socket hang up');
          }
          return value.apply(target, args);
        };
      },
    });
}

describe('stale intents are finished by asking the provider again with the same key', () => {
  it('an authorisation whose answer was lost is recorded by the sweep, with its event', async () => {
    const stack = await bootPayments('payments_intents_auth', { PAYMENTS_INTENT_STALE_MS: '1000', PAYMENTS_INTENT_SWEEP_MS: '100000' }, { wrapProvider: failingFirst('authorize', 1) });
    try {
      const orderId = randomUUID();
      const key = `lost-${randomUUID()}`;
      const lost = await authorize(stack, { order_id: orderId, idempotency_key: key }).catch((e: AppError) => e);
      expect(lost).toMatchObject({ code: 'UNAVAILABLE' });
      const { pool } = stack.svc.runtime;
      const [intent] = (await pool.query('select status, pending_op from payments where idempotency_key = $1', [key])).rows;
      expect(intent).toEqual({ status: 'pending', pending_op: 'authorize' });
      expect(await stack.svc.app.staleIntents.finish()).toBe(1);
      const [done] = (await pool.query('select id, status, pending_op, amount_captured from payments where idempotency_key = $1', [key])).rows;
      expect(done).toMatchObject({ status: 'captured', pending_op: null, amount_captured: 2500 });
      const events = await outboxEvents(stack, paymentEvents.captured);
      expect(events.filter((e) => e.data.payment_id === done.id)).toHaveLength(1);
      // The caller's retry with the same key gets the same payment.
      expect((await authorize(stack, { order_id: orderId, idempotency_key: key })).id).toBe(done.id);
    } finally {
      await stack.close();
    }
  });

  it('a refund whose answer was lost holds its amount until the sweep settles it once', async () => {
    const stack = await bootPayments('payments_intents_refund', { PAYMENTS_INTENT_STALE_MS: '1000', PAYMENTS_INTENT_SWEEP_MS: '100000' }, { wrapProvider: failingFirst('refund', 1) });
    try {
      const { bus, pool } = stack.svc.runtime;
      const payment = await authorize(stack);
      const key = `refund-${randomUUID()}`;
      const lost = await bus.call(paymentsApi.refund, { payment_id: payment.id, idempotency_key: key, requested_by: 'orders' }).catch((e: AppError) => e);
      expect(lost).toMatchObject({ code: 'UNAVAILABLE' });
      // The unsettled refund holds the whole amount: nothing more may be refunded meanwhile.
      const more = await bus.call(paymentsApi.refund, { payment_id: payment.id, amount: 1, idempotency_key: `more-${randomUUID()}` }).catch((e: AppError) => e);
      expect(more).toMatchObject({ code: 'REFUND_EXCEEDS_CAPTURED' });
      expect(await stack.svc.app.staleIntents.finish()).toBe(1);
      const after = await bus.call(paymentsApi.get, { payment_id: payment.id });
      expect(after).toMatchObject({ status: 'refunded', amount_refunded: 2500 });
      // A retry under the key answers the settled refund; one refunded event in all.
      expect((await bus.call(paymentsApi.refund, { payment_id: payment.id, idempotency_key: key, requested_by: 'orders' })).amount).toBe(2500);
      const events = (await outboxEvents(stack, paymentEvents.refunded)).filter((e) => e.data.payment_id === payment.id);
      expect(events).toHaveLength(1);
      expect((await pool.query('select count(*)::int n from refunds where payment_id = $1', [payment.id])).rows[0].n).toBe(1);
    } finally {
      await stack.close();
    }
  });
});
