import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName } from '@shop/kit';
import { testEnv } from '@shop/kit/testing';
import { AppError, cartApi, ordersApi, paymentEvents, paymentsApi, type Caller, type Cart, type Payment } from '@shop/contracts';
import { availableOf, linkReadyCart as readyForLink, pressDemoCheckout, sql, startStack, until, type Stack } from './stack.js';

const mailDir = mkdtempSync(path.join(os.tmpdir(), 'orders-link-mail-'));
// Short recovery and grace, so link expiry and missed payments are found within the test.
const ordersEnv = { MAIL_DIR: mailDir, ORDERS_RECOVERY_MS: '300', ORDERS_SAGA_GRACE_MS: '1000' };
let stack: Stack;
let n = 0;
// Random hex, not a timestamp: long digit runs look like card numbers to the payments guard.
const run = randomBytes(4).toString('hex');
const shopper = (): Caller => ({ subject: `user-${run}-${++n}`, conversation: `conv-${run}-${n}` });
const LONG = { timeoutMs: 60_000 };

const linkReadyCart = (caller: Caller, quantity: number, skip: number) => readyForLink(stack, stack.bus, caller, quantity, skip);
const press = (link: { id: string }, button: 'approve' | 'cancel') => pressDemoCheckout(stack, link, button);

const placeExternal = (cart: Cart, caller: Caller) =>
  stack.bus.call(ordersApi.placeExternal, { cart_id: cart.id, caller, idempotency_key: `link:${cart.id}:v${cart.version}`, expected_total: cart.totals.total }, LONG);

/** Waits until the orders service has acknowledged everything delivered to its payment-event consumers. */
async function paymentEventsDrained(): Promise<void> {
  const jsm = await jetstreamManager(stack.orders!.runtime.nc);
  const stream = eventStreamName(stack.prefix);
  await until(async () => {
    for (const subject of [paymentEvents.captured, paymentEvents.canceled]) {
      const info = await jsm.consumers.info(stream, `orders_payments_${subject.replace(/[^A-Za-z0-9_-]/g, '_')}`);
      if (info.num_pending > 0 || info.num_ack_pending > 0) return undefined;
    }
    return true;
  });
}

beforeAll(async () => {
  stack = await startStack('orders_link', ordersEnv);
});
afterAll(async () => {
  await stack?.stop();
});

describe('paying through an external checkout link', () => {
  // One order paid by approving on the demo page, step by step: the steps run in order and share the state below.
  describe('approve on the demo page: the order is confirmed exactly once, stock committed, cart converted, payment captured and refundable', () => {
    let caller: Caller;
    let cart: Cart;
    let item: Awaited<ReturnType<typeof linkReadyCart>>['item'];
    let before: Awaited<ReturnType<typeof availableOf>>;
    let order: Awaited<ReturnType<typeof placeExternal>>['order'];
    let link: Awaited<ReturnType<typeof placeExternal>>['checkout_link'];
    let pendingPayment: Payment;

    beforeAll(async () => {
      caller = shopper();
      ({ cart, item } = await linkReadyCart(caller, 2, 0));
      before = await availableOf(stack, item.variant_id);
    });

    it('placing makes a pending order awaiting payment for the cart total, with an open link to the demo checkout page', async () => {
      ({ order, checkout_link: link } = await placeExternal(cart, caller));
      expect(order.status).toBe('pending');
      expect(order.payment.status).toBe('awaiting_payment');
      expect(order.total).toBe(cart.totals.total);
      expect(link.status).toBe('open');
      expect(link.url).toMatch(new RegExp(`/v1/demo/checkout/${link.id}$`));
    });

    it('the stock is held, for longer than the link is open', async () => {
      const [reservation] = await sql<{ expires_at: Date }>(stack.dbs.catalog.url, 'select expires_at from reservations where order_id = $1', [order.id]);
      expect(reservation.expires_at.getTime()).toBeGreaterThan(new Date(link.expires_at).getTime());
      expect((await availableOf(stack, item.variant_id)).available).toBe(before.available - 2);
    });

    it('asking again for the same cart version answers with the same order and link', async () => {
      const again = await placeExternal(cart, caller);
      expect(again.order.id).toBe(order.id);
      expect(again.checkout_link.url).toBe(link.url);
    });

    it("until paid, get_order_status's view is pending, awaiting payment, and payments holds a pending payment under the link", async () => {
      expect(await stack.bus.call(ordersApi.get, { order_id: order.number, caller })).toMatchObject({ status: 'pending', payment: { status: 'awaiting_payment' } });
      pendingPayment = await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id });
      expect(pendingPayment).toMatchObject({ status: 'pending', amount: order.total, provider_ref: link.id });
    });

    it('approving on the demo page confirms the order (pending → confirmed) with its payment captured', async () => {
      const page = await press(link, 'approve');
      expect(page.status).toBe(200);
      const confirmed = await until(async () => {
        const o = await stack.bus.call(ordersApi.get, { order_id: order.id, caller });
        return o.status === 'confirmed' ? o : undefined;
      });
      expect(confirmed.timeline.map((t) => t.status)).toEqual(['pending', 'confirmed']);
      expect(confirmed.payment.status).toBe('captured');
    });

    it('the pending payment is the one captured, for the order total', async () => {
      const payment = await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id });
      expect(payment).toMatchObject({ id: pendingPayment.id, status: 'captured', amount_captured: order.total });
    });

    it('the stock is committed: stock and available both down by the quantity', async () => {
      const after = await availableOf(stack, item.variant_id);
      expect(after.stock).toBe(before.stock - 2);
      expect(after.available).toBe(before.available - 2);
    });

    it('the cart is converted', async () => {
      const converted = await stack.bus.call(cartApi.get, { cart_id: cart.id, caller }).catch((e) => e);
      expect(converted instanceof AppError ? converted.code : converted.status).toMatch(/converted|CART_NOT_ACTIVE|CART_NOT_FOUND/);
    });

    it('the shopper is mailed the confirmation', async () => {
      // until throws "condition not met in time" if the mail never arrives.
      await until(async () => readdirSync(mailDir).find((f) => f === `${order.number}-confirmed.eml`));
    });

    // The captured event again: redelivered under its own id, and repeated under another id.
    describe('the captured event again, redelivered under its own id and repeated under another id', () => {
      beforeAll(async () => {
        const [captured] = await sql<{ payload: { id: string; data: { order_id: string } } }>(
          stack.dbs.payments.url,
          `select payload from outbox where subject = $1 and payload->'data'->>'order_id' = $2`,
          [paymentEvents.captured, order.id],
        );
        const js = jetstream(stack.orders!.runtime.nc);
        await js.publish(stack.prefix + paymentEvents.captured, JSON.stringify(captured.payload));
        await js.publish(stack.prefix + paymentEvents.captured, JSON.stringify({ ...captured.payload, id: randomUUID() }));
        await paymentEventsDrained();
      });

      it('the saga ran once: its log goes from created to confirmed with no step repeated', async () => {
        const log = await sql<{ step: string }>(stack.dbs.orders.url, `select step from saga_log where order_id = $1 order by id`, [order.id]);
        expect(log.map((l) => l.step)).toEqual(['created', 'validated', 'coupon_reserved', 'reserved', 'awaiting_payment', 'charged', 'confirmed']);
      });

      it('the payment stays captured', async () => {
        expect((await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id })).status).toBe('captured');
      });

      it('the shopper has still had one e-mail for the order, the confirmation', () => {
        expect(readdirSync(mailDir).filter((f) => f.startsWith(order.number))).toEqual([`${order.number}-confirmed.eml`]);
      });

      it('the order.confirmed event was written once', async () => {
        const [{ n: confirmations }] = await sql<{ n: number }>(stack.dbs.orders.url, `select count(*)::int as n from outbox where subject = 'evt.order.confirmed' and payload->'data'->>'order_id' = $1`, [order.id]);
        expect(confirmations).toBe(1);
      });
    });

    // Paid through the link, refunded through cancel_order.
    it('cancel_order on the link-paid order cancels it and refunds the payment in full', async () => {
      const cancelled = await stack.bus.call(ordersApi.cancel, { order_id: order.id, caller }, LONG);
      expect(cancelled.status).toBe('cancelled');
      expect(await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id })).toMatchObject({ status: 'refunded', amount_refunded: order.total });
    });

    it('after the cancellation the committed stock is back', async () => {
      expect((await availableOf(stack, item.variant_id)).stock).toBe(before.stock);
    });
  });

  it('cancel on the demo page: the order is cancelled with a reason, stock released, the cart stays active; asking again gives a new link', async () => {
    const caller = shopper();
    const { cart, item } = await linkReadyCart(caller, 1, 1);
    const before = await availableOf(stack, item.variant_id);
    const { order, checkout_link: link } = await placeExternal(cart, caller);
    expect((await availableOf(stack, item.variant_id)).available).toBe(before.available - 1);

    expect((await press(link, 'cancel')).status).toBe(200);
    const cancelled = await until(async () => {
      const o = await stack.bus.call(ordersApi.get, { order_id: order.id, caller });
      return o.status === 'cancelled' ? o : undefined;
    });
    expect(cancelled.reason).toBe('The payment was cancelled on the checkout page, so the order was cancelled. You have not been charged.');
    expect(cancelled.payment.status).toBe('canceled');
    expect(await availableOf(stack, item.variant_id)).toEqual(before);
    expect((await stack.bus.call(cartApi.get, { cart_id: cart.id, caller })).status).toBe('active');
    expect(await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id })).toMatchObject({ status: 'canceled', amount_captured: 0 });
    // The closed link can no longer be paid.
    expect((await press(link, 'approve')).status).toBe(409);

    const second = await placeExternal(cart, caller);
    expect(second.order.id).not.toBe(order.id);
    expect(second.checkout_link.url).not.toBe(link.url);
    expect(second.checkout_link.status).toBe('open');
    await stack.bus.call(ordersApi.cancel, { order_id: second.order.id, caller }, LONG);
  });

  it('cancel_order while awaiting payment closes the link and releases the stock', async () => {
    const caller = shopper();
    const { cart, item } = await linkReadyCart(caller, 1, 2);
    const before = await availableOf(stack, item.variant_id);
    const { order, checkout_link: link } = await placeExternal(cart, caller);

    const cancelled = await stack.bus.call(ordersApi.cancel, { order_id: order.number, caller, reason: 'Changed my mind' }, LONG);
    expect(cancelled).toMatchObject({ status: 'cancelled', reason: 'Changed my mind' });
    expect(cancelled.timeline.at(-1)).toMatchObject({ status: 'cancelled', actor: 'shopper' });
    expect(await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id })).toMatchObject({ status: 'voided' });
    expect((await press(link, 'approve')).status).toBe(409);
    expect(await availableOf(stack, item.variant_id)).toEqual(before);
    expect((await stack.bus.call(cartApi.get, { cart_id: cart.id, caller })).status).toBe('active');
  });

  it('a link that expires unpaid cancels its order and releases the stock', async () => {
    const caller = shopper();
    const { cart, item } = await linkReadyCart(caller, 1, 3);
    const before = await availableOf(stack, item.variant_id);
    const { order, checkout_link: link } = await placeExternal(cart, caller);
    // An hour passes: the link's expiry, as both services recorded it, is now behind us.
    await sql(stack.dbs.payments.url, `update checkout_links set expires_at = now() - interval '1 second' where id = $1`, [link.id]);
    await sql(stack.dbs.orders.url, `update orders set checkout_expires_at = now() - interval '1 second' where id = $1`, [order.id]);

    const cancelled = await until(async () => {
      const o = await stack.bus.call(ordersApi.get, { order_id: order.id, caller });
      return o.status === 'cancelled' ? o : undefined;
    });
    expect(cancelled.reason).toBe('The checkout link expired before it was paid, so the order was cancelled. You have not been charged.');
    expect(await stack.bus.call(paymentsApi.getByOrder, { order_id: order.id })).toMatchObject({ status: 'voided' });
    const [row] = await sql<{ status: string }>(stack.dbs.payments.url, 'select status from checkout_links where id = $1', [link.id]);
    expect(row.status).toBe('expired');
    expect(await availableOf(stack, item.variant_id)).toEqual(before);
  });

  it('a cart that changed before the link is refused with CART_CHANGED, nothing reserved', async () => {
    const caller = shopper();
    const { cart, item } = await linkReadyCart(caller, 1, 4);
    const before = await availableOf(stack, item.variant_id);
    await expect(
      stack.bus.call(ordersApi.placeExternal, { cart_id: cart.id, caller, idempotency_key: `link:${cart.id}:v${cart.version}`, expected_total: cart.totals.total + 1 }, LONG),
    ).rejects.toMatchObject({ code: 'CART_CHANGED' });
    expect(await availableOf(stack, item.variant_id)).toEqual(before);
    // The same key under place (a saved method) is another payment path: refused, not merged.
    await expect(stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `link:${cart.id}:v${cart.version}` }, LONG)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('a payment captured while orders was down (its event lost) is found by recovery, and the order confirmed', async () => {
    const caller = shopper();
    const { cart } = await linkReadyCart(caller, 1, 5);
    const { order, checkout_link: link } = await placeExternal(cart, caller);
    const bus = stack.cart.runtime.bus;

    await stack.orders!.stop();
    expect((await press(link, 'approve')).status).toBe(200);
    // The captured event reached the stream; losing it leaves only recovery to notice the payment.
    // Earlier tests' captured events are in the stream too: wait for this one to be published before dropping them all.
    await until(async () => {
      const [row] = await sql<{ published_at: Date | null }>(stack.dbs.payments.url, `select published_at from outbox where subject = $1 and payload->'data'->>'order_id' = $2`, [
        paymentEvents.captured,
        order.id,
      ]);
      return row?.published_at ?? undefined;
    });
    const jsm = await jetstreamManager(stack.cart.runtime.nc);
    await jsm.streams.purge(eventStreamName(stack.prefix), { filter: stack.prefix + paymentEvents.captured });

    const ordersMod = (await import('../src/main.js')) as { start: (env: Record<string, string>) => Promise<{ stop: () => Promise<void> }> };
    const restarted = await ordersMod.start(testEnv(stack.dbs.orders.url, stack.prefix, ordersEnv));
    try {
      const confirmed = await until(async () => {
        const o = await bus.call(ordersApi.get, { order_id: order.id, caller });
        return o.status === 'confirmed' ? o : undefined;
      });
      expect(confirmed.payment.status).toBe('captured');
      const converted = await bus.call(cartApi.get, { cart_id: cart.id, caller }).catch((e) => e);
      expect(converted instanceof AppError ? converted.code : converted.status).toMatch(/converted|CART_NOT_ACTIVE|CART_NOT_FOUND/);
    } finally {
      await restarted.stop();
    }
  });
});
