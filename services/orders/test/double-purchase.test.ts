import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName } from '@shop/kit';
import { testEnv } from '@shop/kit/testing';
import { AppError, cartApi, ordersApi, paymentEvents, paymentsApi, type Caller, type Cart } from '@shop/contracts';
import { availableOf, linkReadyCart as readyForLink, pressDemoCheckout, sql, startStack, until, type Stack } from './stack.js';

const mailDir = mkdtempSync(path.join(os.tmpdir(), 'orders-double-mail-'));
// A long grace keeps recovery away from awaiting orders: each test decides when a payment is noticed.
const ordersEnv = { MAIL_DIR: mailDir, ORDERS_SAGA_GRACE_MS: '600000' };
let stack: Stack;
let orders: { stop: () => Promise<void>; runtime: NonNullable<Stack['orders']>['runtime'] };
let n = 0;
// Random hex, not a timestamp: long digit runs look like card numbers to the payments guard.
const run = randomBytes(4).toString('hex');
const shopper = (): Caller => ({ subject: `user-${run}-${++n}`, conversation: `conv-${run}-${n}` });
const LONG = { timeoutMs: 60_000 };
// Calls go through the cart service's connection, so they reach whichever orders instance runs.
const bus = () => stack.cart.runtime.bus;

const linkReadyCart = (caller: Caller, quantity: number, skip: number, stock?: number) => readyForLink(stack, bus(), caller, quantity, skip, stock);
const press = (link: { id: string }, button: 'approve' | 'cancel') => pressDemoCheckout(stack, link, button);

const placeExternal = (cart: Cart, caller: Caller, key = `link:${cart.id}:v${cart.version}`) =>
  bus().call(ordersApi.placeExternal, { cart_id: cart.id, caller, idempotency_key: key, expected_total: cart.totals.total }, LONG);
const placeDirect = (cart: Cart, caller: Caller, key = `direct:${cart.id}`) =>
  bus().call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: key, payment_method_id: 'pm_card_visa', expected_total: cart.totals.total }, LONG);

async function cartState(cart: Cart, caller: Caller): Promise<string> {
  const read = await bus().call(cartApi.get, { cart_id: cart.id, caller }).catch((e) => e);
  return read instanceof AppError ? read.code : read.status;
}

const sagaSteps = async (orderId: string) => (await sql<{ step: string }>(stack.dbs.orders.url, 'select step from saga_log where order_id = $1 order by id', [orderId])).map((r) => r.step);

beforeAll(async () => {
  stack = await startStack('orders_double', ordersEnv);
  orders = stack.orders!;
});
afterAll(async () => {
  await orders?.stop();
  await stack?.stop();
});

describe('one cart, one payment: a checkout link and a direct placement never both succeed', () => {
  it('place_order on a cart awaiting its link: the link order is cancelled first (link closed, stock released, reason), then the order is placed and charged once', async () => {
    const caller = shopper();
    // The link order holds every unit: the direct placement finds them only once that order is cancelled.
    const { cart, item } = await linkReadyCart(caller, 2, 0, 2);
    const { order: linkOrder, checkout_link: link } = await placeExternal(cart, caller);
    expect((await availableOf(stack, item.variant_id)).available).toBe(0);

    const direct = await placeDirect(cart, caller);
    expect(direct).toMatchObject({ status: 'confirmed', payment: { status: 'captured' }, total: cart.totals.total });

    const replaced = await bus().call(ordersApi.get, { order_id: linkOrder.number, caller });
    expect(replaced.status).toBe('cancelled');
    expect(replaced.reason).toBe(`Replaced by a direct payment (order ${direct.number}). The checkout link was closed and you have not been charged for this order.`);
    expect(replaced.timeline.at(-1)).toMatchObject({ status: 'cancelled', actor: 'shopper', reason: replaced.reason });
    expect(replaced.payment.status).toBe('voided');
    expect(await sagaSteps(linkOrder.id)).toEqual(['created', 'validated', 'reserved', 'awaiting_payment', 'compensating', 'failed']);
    expect(await bus().call(paymentsApi.getByOrder, { order_id: linkOrder.id })).toMatchObject({ status: 'voided', amount_captured: 0 });
    // The link can no longer be paid.
    expect((await press(link, 'approve')).status).toBe(409);
    const [row] = await sql<{ status: string }>(stack.dbs.payments.url, 'select status from checkout_links where id = $1', [link.id]);
    expect(row.status).toBe('canceled');

    // Only the direct order took the stock; the cart became that order.
    expect(await availableOf(stack, item.variant_id)).toEqual({ available: 0, stock: 0 });
    expect(await bus().call(paymentsApi.getByOrder, { order_id: direct.id })).toMatchObject({ status: 'captured', amount_captured: direct.total });
    expect(await cartState(cart, caller)).toMatch(/converted|CART_NOT_ACTIVE/);
    // The shopper is told about the cancelled link order, once.
    await until(async () => readdirSync(mailDir).find((f) => f === `${linkOrder.number}-cancelled.eml`));
  });

  it('a link paid after its cart became another order: that order is cancelled, its stock put back and its payment refunded once', async () => {
    const caller = shopper();
    const { cart, item } = await linkReadyCart(caller, 1, 1);
    const before = await availableOf(stack, item.variant_id);
    // Two links for the same cart (as when the cart changed after the first one): both can be paid.
    const first = await placeExternal(cart, caller);
    const second = await placeExternal(cart, caller, `link:${cart.id}:again`);
    expect(second.order.id).not.toBe(first.order.id);

    expect((await press(first.checkout_link, 'approve')).status).toBe(200);
    await until(async () => ((await bus().call(ordersApi.get, { order_id: first.order.id, caller })).status === 'confirmed' ? true : undefined));
    expect((await press(second.checkout_link, 'approve')).status).toBe(200);
    const cancelled = await until(async () => {
      const o = await bus().call(ordersApi.get, { order_id: second.order.id, caller });
      return o.status === 'cancelled' ? o : undefined;
    });
    expect(cancelled.reason).toBe(`This cart was already checked out as order ${first.order.number}, so this order was cancelled and your payment refunded.`);
    expect(cancelled.payment.status).toBe('refunded');
    expect(cancelled.timeline.map((t) => t.status)).toEqual(['pending', 'cancelled']);
    expect(await sagaSteps(second.order.id)).toEqual(['created', 'validated', 'reserved', 'awaiting_payment', 'charged', 'compensating', 'failed']);
    expect(await bus().call(paymentsApi.getByOrder, { order_id: second.order.id })).toMatchObject({ status: 'refunded', amount_captured: second.order.total, amount_refunded: second.order.total });
    // Only the first order's unit left the warehouse; the second's was committed, then put back.
    expect(await availableOf(stack, item.variant_id)).toEqual({ available: before.available - 1, stock: before.stock - 1 });
    expect((await bus().call(ordersApi.get, { order_id: first.order.id, caller })).status).toBe('confirmed');

    // The captured event again, under its own id and under another: still one refund, one cancellation.
    const [captured] = await sql<{ payload: { id: string } }>(stack.dbs.payments.url, `select payload from outbox where subject = $1 and payload->'data'->>'order_id' = $2`, [
      paymentEvents.captured,
      second.order.id,
    ]);
    const js = jetstream(orders.runtime.nc);
    await js.publish(stack.prefix + paymentEvents.captured, JSON.stringify(captured.payload));
    await js.publish(stack.prefix + paymentEvents.captured, JSON.stringify({ ...captured.payload, id: randomUUID() }));
    await paymentEventsDrained();
    const refunds = await sql<{ amount: string }>(stack.dbs.payments.url, 'select r.amount from refunds r join payments p on p.id = r.payment_id where p.order_id = $1', [second.order.id]);
    expect(refunds.map((r) => Number(r.amount))).toEqual([second.order.total]);
    const [{ n: cancellations }] = await sql<{ n: number }>(stack.dbs.orders.url, `select count(*)::int as n from outbox where subject = 'evt.order.cancelled' and payload->'data'->>'order_id' = $1`, [
      second.order.id,
    ]);
    expect(cancellations).toBe(1);
    expect(await availableOf(stack, item.variant_id)).toEqual({ available: before.available - 1, stock: before.stock - 1 });

    // A direct placement of that cart now is refused, naming the paid link order.
    await expect(placeDirect(cart, caller)).rejects.toMatchObject({
      code: 'CART_NOT_ACTIVE',
      message: `This cart was already paid through the checkout link: order ${first.order.number}. Nothing was charged again.`,
    });
  });

  it('place_order for a cart whose link was just paid (its event not yet applied): refused naming that order, nothing charged again, the link order confirmed', async () => {
    const caller = shopper();
    const { cart, item } = await linkReadyCart(caller, 1, 2);
    const before = await availableOf(stack, item.variant_id);
    const { order: linkOrder, checkout_link: link } = await placeExternal(cart, caller);

    // The shopper pays the link while orders is down, and the captured event is lost: orders still
    // has the order awaiting payment when place_order arrives.
    await orders.stop();
    expect((await press(link, 'approve')).status).toBe(200);
    // Earlier tests' captured events are in the stream too: wait for this one to be published, then drop them all.
    await until(async () => {
      const [row] = await sql<{ published_at: Date | null }>(stack.dbs.payments.url, `select published_at from outbox where subject = $1 and payload->'data'->>'order_id' = $2`, [
        paymentEvents.captured,
        linkOrder.id,
      ]);
      return row?.published_at ?? undefined;
    });
    const jsm = await jetstreamManager(stack.cart.runtime.nc);
    await jsm.streams.purge(eventStreamName(stack.prefix), { filter: stack.prefix + paymentEvents.captured });
    const ordersMod = (await import('../src/main.js')) as { start: (env: Record<string, string>) => Promise<typeof orders> };
    orders = await ordersMod.start(testEnv(stack.dbs.orders.url, stack.prefix, ordersEnv));
    const [awaiting] = await sql<{ saga_step: string }>(stack.dbs.orders.url, 'select saga_step from orders where id = $1', [linkOrder.id]);
    expect(awaiting.saga_step).toBe('awaiting_payment');

    const refusal = { code: 'CART_NOT_ACTIVE', message: `This cart was already paid through the checkout link: order ${linkOrder.number}. Nothing was charged again.` };
    await expect(placeDirect(cart, caller)).rejects.toMatchObject({ ...refusal, details: { order_id: linkOrder.id, order_number: linkOrder.number } });
    // The same request again gets the same answer.
    await expect(placeDirect(cart, caller)).rejects.toMatchObject(refusal);

    const confirmed = await bus().call(ordersApi.get, { order_id: linkOrder.id, caller });
    expect(confirmed).toMatchObject({ status: 'confirmed', payment: { status: 'captured' } });
    expect(await bus().call(paymentsApi.getByOrder, { order_id: linkOrder.id })).toMatchObject({ status: 'captured', amount_refunded: 0 });
    const [refused] = await sql<{ id: string; saga_step: string }>(stack.dbs.orders.url, 'select id, saga_step from orders where cart_id = $1 and idempotency_key = $2', [
      cart.id,
      `direct:${cart.id}`,
    ]);
    expect(refused.saga_step).toBe('refused');
    await expect(bus().call(paymentsApi.getByOrder, { order_id: refused.id })).rejects.toMatchObject({ code: 'PAYMENT_NOT_FOUND' });
    expect(await availableOf(stack, item.variant_id)).toEqual({ available: before.available - 1, stock: before.stock - 1 });
    expect(await cartState(cart, caller)).toMatch(/converted|CART_NOT_ACTIVE/);
  });
});

/** Waits until the orders service has acknowledged everything delivered to its payment-event consumers. */
async function paymentEventsDrained(): Promise<void> {
  const jsm = await jetstreamManager(orders.runtime.nc);
  const stream = eventStreamName(stack.prefix);
  await until(async () => {
    for (const subject of [paymentEvents.captured, paymentEvents.canceled]) {
      const info = await jsm.consumers.info(stream, `orders_payments_${subject.replace(/[^A-Za-z0-9_-]/g, '_')}`);
      if (info.num_pending > 0 || info.num_ack_pending > 0) return undefined;
    }
    return true;
  });
}
