import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName } from '@shop/kit';
import { AppError, ordersApi, paymentEvents, paymentsApi, RETURN_WINDOW_DAYS, type Caller, type Order } from '@shop/contracts';
import { serviceHeaders } from '@shop/kit/testing';
import { availableOf, linkReadyCart, pickVariant, pressDemoCheckout, readyCart, sql, startStack, until, type Stack } from './stack.js';

const mailDir = mkdtempSync(path.join(os.tmpdir(), 'orders-refund-mail-'));
// A short grace and sweep, so an intent left pending (a crash) is finished within the test.
const ordersEnv = { MAIL_DIR: mailDir, ORDERS_RECOVERY_MS: '300', ORDERS_SAGA_GRACE_MS: '1000' };
let stack: Stack;
let n = 0;
const run = randomBytes(4).toString('hex');
const shopper = (): Caller => ({ subject: `user-${run}-${++n}`, conversation: `conv-${run}-${n}` });
const LONG = { timeoutMs: 60_000 };
const refused = (p: Promise<unknown>) => p.then(() => null, (e: AppError) => e);

async function confirmedOrder(caller: Caller, skip = 0, quantity = 1): Promise<{ order: Order; variantId: string }> {
  const item = await pickVariant(stack, skip);
  const cart = await readyCart(stack, caller, item, quantity);
  const order = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `k-${randomUUID()}` }, LONG);
  expect(order.status).toBe('confirmed');
  return { order, variantId: item.variant_id };
}

const mail = (order: Order, kind: string) => path.join(mailDir, `${order.number}-${kind}.eml`);
const orderRow = async (id: string) => (await sql<{ status: string; amount_refunded: number; payment_status: string }>(stack.dbs.orders.url, 'select status, amount_refunded, payment_status from orders where id = $1', [id]))[0];

beforeAll(async () => {
  stack = await startStack('orders_refunds', ordersEnv);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

describe('refunds go through orders', () => {
  it('refund_order on a delivered order: payment refunded in full, order refunded with the amount, an e-mail, fulfilment refused afterwards', async () => {
    const caller = shopper();
    const { order } = await confirmedOrder(caller);
    await stack.bus.call(ordersApi.ship, { order_id: order.id });
    await stack.bus.call(ordersApi.deliver, { order_id: order.id });

    const refunded = await stack.bus.call(ordersApi.refund, { order_id: order.number, caller, reason: 'Too small' }, LONG);
    expect(refunded.status).toBe('refunded');
    expect(refunded.reason).toBe('Too small');
    expect(refunded.payment.status).toBe('refunded');
    expect(refunded.timeline.at(-1)).toMatchObject({ status: 'refunded', actor: 'shopper' });
    const payment = await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id });
    expect(payment).toMatchObject({ status: 'refunded', amount_refunded: order.total });
    expect(await orderRow(order.id)).toMatchObject({ status: 'refunded', amount_refunded: order.total });
    const [refundRow] = await sql(stack.dbs.payments.url, 'select requested_by, amount from refunds where payment_id = $1', [payment.id]);
    expect(refundRow).toEqual({ requested_by: 'orders', amount: order.total });

    await until(async () => (existsSync(mail(order, 'refunded')) ? true : undefined));
    const eml = readFileSync(mail(order, 'refunded'), 'utf8');
    expect(eml).toContain(`Subject: Your order ${order.number} has been refunded`);
    expect(eml).toContain('A refund of $');

    expect(await refused(stack.bus.call(ordersApi.ship, { order_id: order.id }))).toMatchObject({ code: 'INVALID_TRANSITION', message: expect.stringContaining('was refunded') });
    expect(await refused(stack.bus.call(ordersApi.deliver, { order_id: order.id }))).toMatchObject({ code: 'INVALID_TRANSITION' });
    // Asking again changes nothing and refunds nothing more.
    expect((await stack.bus.call(ordersApi.refund, { order_id: order.id, caller }, LONG)).status).toBe('refunded');
    expect((await sql(stack.dbs.payments.url, 'select id from refunds where payment_id = $1', [payment.id])).length).toBe(1);
  });

  it('over HTTP: a shipped order is refunded; a stranger gets ORDER_NOT_FOUND; a confirmed one is told to cancel instead', async () => {
    const caller = shopper();
    const { order } = await confirmedOrder(caller, 1);
    const post = (id: string, body: unknown) => fetch(`${stack.orders!.httpUrl}/v1/orders/${id}/refund`, { method: 'POST', headers: { ...serviceHeaders, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const early = await post(order.id, { caller });
    expect(early.status).toBe(409);
    expect((await early.json()).error).toMatchObject({ code: 'INVALID_TRANSITION', message: expect.stringContaining('cancel it instead') });

    await stack.bus.call(ordersApi.ship, { order_id: order.id });
    const stranger = await post(order.id, { caller: shopper() });
    expect(stranger.status).toBe(404);
    const bad = await post(order.id, { caller: {} });
    expect(bad.status).toBe(400);

    const ok = await post(order.number, { caller, reason: 'Changed my mind' });
    expect(ok.status).toBe(200);
    expect((await ok.json()).status).toBe('refunded');
  });

  it(`a delivered order past the ${RETURN_WINDOW_DAYS}-day returns window is refused, and nothing is refunded`, async () => {
    const caller = shopper();
    const { order } = await confirmedOrder(caller, 2);
    await stack.bus.call(ordersApi.ship, { order_id: order.id });
    await stack.bus.call(ordersApi.deliver, { order_id: order.id });
    await sql(stack.dbs.orders.url, `update order_status_history set at = now() - make_interval(days => $2) where order_id = $1 and status = 'delivered'`, [order.id, RETURN_WINDOW_DAYS + 1]);
    const err = await refused(stack.bus.call(ordersApi.refund, { order_id: order.id, caller }, LONG));
    expect(err).toMatchObject({ code: 'INVALID_TRANSITION', details: { rule: 'return_window', return_window_days: RETURN_WINDOW_DAYS } });
    expect((err as AppError).message).toContain(`more than ${RETURN_WINDOW_DAYS} days ago`);
    expect((await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id })).status).toBe('captured');
    expect((await orderRow(order.id)).status).toBe('delivered');
  });

  it('a refund made at payments directly ends with orders knowing: the order refunded by the event, an e-mail, shipping refused, stock back', async () => {
    const caller = shopper();
    const { order, variantId } = await confirmedOrder(caller, 3);
    const before = await availableOf(stack, variantId);
    const payment = await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id });
    // Behind orders' back: no requested_by, straight to payments.
    await stack.bus.call(paymentsApi.refund, { payment_id: payment.id, idempotency_key: `direct-${randomUUID()}` });

    const row = await until(async () => {
      const r = await orderRow(order.id);
      return r.status === 'refunded' ? r : undefined;
    });
    expect(row).toMatchObject({ amount_refunded: order.total, payment_status: 'refunded' });
    expect(await refused(stack.bus.call(ordersApi.ship, { order_id: order.id }))).toMatchObject({ code: 'INVALID_TRANSITION' });
    // It had not shipped, so its stock is back on the shelf.
    expect((await availableOf(stack, variantId)).available).toBe(before.available + 1);
    await until(async () => (existsSync(mail(order, 'refunded')) ? true : undefined));
    const [requested] = await sql(stack.dbs.payments.url, 'select requested_by from refunds where payment_id = $1', [payment.id]);
    expect(requested).toEqual({ requested_by: 'unknown' });
  });

  it('a partial refund at payments is recorded on the order, which stays as it was', async () => {
    const caller = shopper();
    const { order } = await confirmedOrder(caller, 4);
    await stack.bus.call(ordersApi.ship, { order_id: order.id });
    const payment = await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id });
    await stack.bus.call(paymentsApi.refund, { payment_id: payment.id, amount: 100, idempotency_key: `part-${randomUUID()}` });
    const row = await until(async () => {
      const r = await orderRow(order.id);
      return r.amount_refunded === 100 ? r : undefined;
    });
    expect(row.status).toBe('shipped');
    // The return refunds the rest.
    const refunded = await stack.bus.call(ordersApi.refund, { order_id: order.id, caller }, LONG);
    expect(refunded.status).toBe('refunded');
    expect((await orderRow(order.id)).amount_refunded).toBe(order.total);
  });

  it('cancel_order commits its intent first: while one is pending, shipping is refused; the sweep finishes one a crash left behind', async () => {
    const caller = shopper();
    const { order, variantId } = await confirmedOrder(caller, 5);
    const before = await availableOf(stack, variantId);
    // What a crash right after the intent committed leaves: a pending cancellation nobody works on.
    await sql(
      stack.dbs.orders.url,
      `insert into order_refunds (id, order_id, kind, status, idempotency_key, actor, reason, from_status, attempt_at)
       values ($1, $2, 'cancel', 'pending', $3, 'shopper', 'Ordered by mistake', 'confirmed', now())`,
      [randomUUID(), order.id, `order:${order.id}:cancel:crashed`],
    );
    expect(await refused(stack.bus.call(ordersApi.ship, { order_id: order.id }))).toMatchObject({ code: 'INVALID_TRANSITION', message: expect.stringContaining('being cancelled') });
    const row = await until(async () => {
      const r = await orderRow(order.id);
      return r.status === 'cancelled' ? r : undefined;
    });
    expect(row).toMatchObject({ amount_refunded: order.total, payment_status: 'refunded' });
    expect((await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id })).status).toBe('refunded');
    expect((await availableOf(stack, variantId)).available).toBe(before.available + 1);
    const intents = await sql(stack.dbs.orders.url, 'select status, amount from order_refunds where order_id = $1', [order.id]);
    expect(intents).toEqual([{ status: 'done', amount: order.total }]);
  });

  it('cancel_order of a confirmed order refunds it once and mails the refund', async () => {
    const caller = shopper();
    const { order } = await confirmedOrder(caller, 6);
    const cancelled = await stack.bus.call(ordersApi.cancel, { order_id: order.id, caller, reason: 'No longer needed' }, LONG);
    expect(cancelled.status).toBe('cancelled');
    expect(await refused(stack.bus.call(ordersApi.refund, { order_id: order.id, caller }, LONG))).toMatchObject({ code: 'INVALID_TRANSITION' });
    await until(async () => (existsSync(mail(order, 'cancelled')) ? true : undefined));
    expect(readFileSync(mail(order, 'cancelled'), 'utf8')).toContain('A refund of $');
    // The refund event afterwards records the amount and changes nothing else.
    const row = await until(async () => {
      const r = await orderRow(order.id);
      return r.amount_refunded === order.total ? r : undefined;
    });
    expect(row.status).toBe('cancelled');
    expect(existsSync(mail(order, 'refunded'))).toBe(false);
  });
});

describe('payment events are verified with payments before anything moves', () => {
  it('an evt.payment.captured for a payment that is not captured does not confirm the order; the real capture does', async () => {
    const caller = shopper();
    const { cart } = await linkReadyCart(stack, stack.bus, caller, 1, 7);
    const placed = await stack.bus.call(ordersApi.placeExternal, { cart_id: cart.id, caller, idempotency_key: `link:${cart.id}:v${cart.version}` }, LONG);
    const paymentId = placed.checkout_link.payment_id!;
    expect((await stack.bus.call(paymentsApi.get, { payment_id: paymentId })).status).toBe('pending');

    const forged = {
      id: randomUUID(),
      type: paymentEvents.captured,
      occurred_at: new Date().toISOString(),
      data: { payment_id: paymentId, order_id: placed.order.id, status: 'captured', amount: placed.order.total, currency: 'USD', amount_captured: placed.order.total, amount_refunded: 0, failure_code: null, failure_message: null },
    };
    const js = jetstream(stack.orders!.runtime.nc);
    await js.publish(stack.prefix + paymentEvents.captured, JSON.stringify(forged));
    // Wait until the consumer has taken the forged event and acknowledged it.
    const jsm = await jetstreamManager(stack.orders!.runtime.nc);
    await until(async () => {
      const info = await jsm.consumers.info(eventStreamName(stack.prefix), `orders_payments_${paymentEvents.captured.replace(/[^A-Za-z0-9_-]/g, '_')}`);
      return info.delivered.stream_seq > 0 && info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    });
    const still = await stack.bus.call(ordersApi.get, { order_id: placed.order.id, caller });
    expect(still.status).toBe('pending');
    expect(still.payment.status).toBe('awaiting_payment');

    // The shopper really pays: the genuine event confirms it.
    const res = await pressDemoCheckout(stack, placed.checkout_link, 'approve');
    expect(res.status).toBeLessThan(400);
    const confirmed = await until(async () => {
      const o = await stack.bus.call(ordersApi.get, { order_id: placed.order.id, caller });
      return o.status === 'confirmed' ? o : undefined;
    });
    expect(confirmed.payment.status).toBe('captured');
  });
});
