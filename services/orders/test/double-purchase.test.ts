import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName } from '@shop/kit';
import { testEnv } from '@shop/kit/testing';
import { AppError, cartApi, ordersApi, paymentEvents, paymentsApi, type Caller, type Cart } from '@shop/contracts';
import { availableOf, linkReadyCart as readyForLink, pickVariant, pressDemoCheckout, readyCart, setStock, sql, startStack, until, type Stack } from './stack.js';

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
/** The stack as the fixtures use it, calling through that connection. */
const live = (): Stack => ({ ...stack, bus: bus() });

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
    expect(await sagaSteps(linkOrder.id)).toEqual(['created', 'validated', 'coupon_reserved', 'reserved', 'awaiting_payment', 'compensating', 'failed']);
    const [replaced_by] = await sql<{ replaced_by: string }>(stack.dbs.orders.url, 'select replaced_by from orders_with_saga where id = $1', [linkOrder.id]);
    expect(replaced_by.replaced_by).toBe(direct.id);
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

  it('a second checkout link for the same cart, under another key, is the first one: one order, one link, one payment', async () => {
    const caller = shopper();
    const { cart, item } = await linkReadyCart(caller, 1, 1);
    const before = await availableOf(stack, item.variant_id);
    const first = await placeExternal(cart, caller);
    const second = await placeExternal(cart, caller, `link:${cart.id}:again`);
    expect(second.order.id).toBe(first.order.id);
    expect(second.checkout_link).toEqual(first.checkout_link);
    expect(await sql(stack.dbs.orders.url, 'select id from orders_with_saga where cart_id = $1', [cart.id])).toHaveLength(1);
    expect((await availableOf(stack, item.variant_id)).available).toBe(before.available - 1);

    expect((await press(first.checkout_link, 'approve')).status).toBe(200);
    await until(async () => ((await bus().call(ordersApi.get, { order_id: first.order.id, caller })).status === 'confirmed' ? true : undefined));
    // Once paid, another link for the cart is that order; a direct placement is refused naming it.
    expect((await placeExternal(cart, caller, `link:${cart.id}:third`)).order.id).toBe(first.order.id);
    await expect(placeDirect(cart, caller)).rejects.toMatchObject({
      code: 'CART_NOT_ACTIVE',
      message: `This cart was already paid through the checkout link: order ${first.order.number}. Nothing was charged again.`,
    });
    const payments = await sql<{ amount_refunded: string }>(stack.dbs.payments.url, 'select amount_refunded from payments where order_id = $1', [first.order.id]);
    expect(payments.map((p) => Number(p.amount_refunded))).toEqual([0]);
    expect(await availableOf(stack, item.variant_id)).toEqual({ available: before.available - 1, stock: before.stock - 1 });
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
    const [awaiting] = await sql<{ saga_step: string }>(stack.dbs.orders.url, 'select saga_step from orders_with_saga where id = $1', [linkOrder.id]);
    expect(awaiting.saga_step).toBe('awaiting_payment');

    const refusal = { code: 'CART_NOT_ACTIVE', message: `This cart was already paid through the checkout link: order ${linkOrder.number}. Nothing was charged again.` };
    await expect(placeDirect(cart, caller)).rejects.toMatchObject({ ...refusal, details: { order_id: linkOrder.id, order_number: linkOrder.number } });
    // The same request again gets the same answer.
    await expect(placeDirect(cart, caller)).rejects.toMatchObject(refusal);

    const confirmed = await bus().call(ordersApi.get, { order_id: linkOrder.id, caller });
    expect(confirmed).toMatchObject({ status: 'confirmed', payment: { status: 'captured' } });
    expect(await bus().call(paymentsApi.getByOrder, { order_id: linkOrder.id })).toMatchObject({ status: 'captured', amount_refunded: 0 });
    // The direct placement never became an order: the cart's one placement is the link order.
    expect(await sql(stack.dbs.orders.url, 'select id from orders_with_saga where cart_id = $1 and idempotency_key = $2', [cart.id, `direct:${cart.id}`])).toEqual([]);
    const [{ n: paymentsOfCart }] = await sql<{ n: number }>(stack.dbs.payments.url, 'select count(*)::int as n from payments where order_id = $1', [linkOrder.id]);
    expect(paymentsOfCart).toBe(1);
    expect(await availableOf(stack, item.variant_id)).toEqual({ available: before.available - 1, stock: before.stock - 1 });
    expect(await cartState(cart, caller)).toMatch(/converted|CART_NOT_ACTIVE/);
  });
});

describe('one placement per cart, decided by the orders database', () => {
  /**
   * 30 place_order calls at once on one cart, each under its own key, alternating the payment
   * method: one order, one charge, no refund, the stock reserved once. Every answer is that order,
   * or ORDER_IN_PROGRESS naming it.
   */
  async function race(skip: number) {
    const caller = shopper();
    const item = await pickVariant(live(), skip);
    await setStock(stack, item.variant_id, 30);
    const cart = await readyCart(live(), caller, item, 1);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        bus()
          .call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `race-${cart.id}-${i}`, payment_method_id: i % 2 ? 'pm_card_mastercard' : 'pm_card_visa', expected_total: cart.totals.total }, LONG)
          .catch((e: unknown) => e),
      ),
    );
    const orders = await sql<{ id: string; number: string; status: string }>(stack.dbs.orders.url, 'select id, number, status from orders_with_saga where cart_id = $1', [cart.id]);
    expect(orders).toHaveLength(1);
    const [order] = orders;
    for (const answer of answers) {
      if (answer instanceof AppError) {
        expect(answer).toMatchObject({ code: 'ORDER_IN_PROGRESS', details: { order_id: order.id, order_number: order.number } });
        expect(answer.message).toContain(order.number);
      } else {
        expect(answer).toMatchObject({ id: order.id, status: 'confirmed' });
      }
    }
    const confirmed = await until(async () => {
      const o = await bus().call(ordersApi.get, { order_id: order.id, caller });
      return o.status === 'confirmed' ? o : undefined;
    });
    const payments = await sql<{ id: string; amount_captured: string; amount_refunded: string }>(
      stack.dbs.payments.url,
      'select id, amount_captured, amount_refunded from payments where order_id = $1',
      [order.id],
    );
    expect(payments.map((p) => [Number(p.amount_captured), Number(p.amount_refunded)])).toEqual([[confirmed.total, 0]]);
    const [{ n: refunds }] = await sql<{ n: number }>(stack.dbs.payments.url, 'select count(*)::int as n from refunds r join payments p on p.id = r.payment_id where p.order_id = $1', [order.id]);
    expect(refunds).toBe(0);
    const lines = await sql<{ quantity: number }>(stack.dbs.catalog.url, 'select quantity from reservation_lines where variant_id = $1', [item.variant_id]);
    expect(lines).toEqual([{ quantity: 1 }]);
    expect(await availableOf(stack, item.variant_id)).toEqual({ available: 29, stock: 29 });
    expect(await cartState(cart, caller)).toMatch(/converted|CART_NOT_ACTIVE/);
    // Later, under yet another key: the same order, nothing charged again.
    const later = await bus().call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `race-${cart.id}-later`, payment_method_id: 'pm_card_mastercard' }, LONG);
    expect(later.id).toBe(order.id);
    expect(await sql(stack.dbs.payments.url, 'select id from payments where order_id = $1', [order.id])).toHaveLength(1);
    return answers;
  }

  it('30 concurrent placements of one cart under 30 keys and two payment methods: one order, one charge, no refund, stock reserved once', async () => {
    const answers = await race(3);
    expect(answers.some((a) => !(a instanceof AppError))).toBe(true);
  }, 120_000);

  it('the same with two orders instances answering', async () => {
    const ordersMod = (await import('../src/main.js')) as { start: (env: Record<string, string>) => Promise<typeof orders> };
    const second = await ordersMod.start(testEnv(stack.dbs.orders.url, stack.prefix, ordersEnv));
    try {
      await race(4);
    } finally {
      await second.stop();
    }
  }, 120_000);

  it("another shopper's placement of a cart is refused without touching it", async () => {
    const caller = shopper();
    const item = await pickVariant(live(), 4);
    const cart = await readyCart(live(), caller, item, 1);
    const first = placeDirect(cart, caller);
    const stranger = await bus()
      .call(ordersApi.place, { cart_id: cart.id, caller: shopper(), idempotency_key: `stranger-${cart.id}` }, LONG)
      .catch((e: unknown) => e);
    expect(stranger).toMatchObject({ code: 'CART_FORBIDDEN' });
    expect((await first).status).toBe('confirmed');
  }, 60_000);
});

describe('coupon uses reserved at placement', () => {
  it('a coupon limited to 2 uses, 10 shoppers placing at once: 2 discounted orders, 8 refused before any charge, times_used 2; a cancelled order gives its use back', async () => {
    const code = `DUO${randomBytes(3).toString('hex').toUpperCase()}`;
    await sql(stack.dbs.cart.url, `insert into coupons (code, type, value, min_subtotal, usage_limit, description) values ($1, 'fixed', 100, 0, 2, '$1.00 off, twice')`, [code]);
    const item = await pickVariant(live(), 5);
    await setStock(stack, item.variant_id, 50);
    const shoppers = Array.from({ length: 10 }, () => shopper());
    const carts = await Promise.all(
      shoppers.map(async (caller) => {
        const ready = await readyCart(live(), caller, item, 1);
        const withCoupon = await bus().call(cartApi.applyCoupon, { cart_id: ready.id, caller, code });
        expect(withCoupon.totals.discount).toBe(100);
        return withCoupon;
      }),
    );
    const answers = await Promise.all(
      carts.map((cart, i) =>
        bus()
          .call(ordersApi.place, { cart_id: cart.id, caller: shoppers[i], idempotency_key: `coupon-${cart.id}`, expected_total: cart.totals.total }, LONG)
          .catch((e: unknown) => e),
      ),
    );
    const placed = answers.filter((a): a is Exclude<typeof a, AppError> => !(a instanceof AppError));
    const refused = answers.filter((a): a is AppError => a instanceof AppError);
    expect(placed.map((o) => [o.status, o.discount, o.coupon?.code])).toEqual([
      ['confirmed', 100, code],
      ['confirmed', 100, code],
    ]);
    expect(refused).toHaveLength(8);
    for (const err of refused) {
      // Most are refused at the reservation; one whose cart was read after the uses were taken is told its cart changed.
      expect(['COUPON_LIMIT_REACHED', 'CART_CHANGED']).toContain(err.code);
      expect(err.message).toContain(`${code} has reached its usage limit.`);
    }
    expect(refused.filter((e) => e.code === 'COUPON_LIMIT_REACHED').length).toBeGreaterThan(0);
    const [coupon] = await sql<{ times_used: number }>(stack.dbs.cart.url, 'select times_used from coupons where code = $1', [code]);
    expect(coupon.times_used).toBe(2);
    // Nothing was charged or held for the refused ones.
    const refusedIds = (await sql<{ id: string }>(stack.dbs.orders.url, `select id from orders_with_saga where cart_id = any($1::text[]) and saga_step = 'refused'`, [carts.map((c) => c.id)])).map((r) => r.id);
    expect(refusedIds).toHaveLength(8);
    expect(await sql(stack.dbs.payments.url, 'select id from payments where order_id = any($1::uuid[])', [refusedIds])).toEqual([]);
    expect(await sql(stack.dbs.catalog.url, `select order_id from reservations where order_id = any($1::uuid[]) and status in ('active', 'committed')`, [refusedIds])).toEqual([]);
    expect(await availableOf(stack, item.variant_id)).toEqual({ available: 48, stock: 48 });

    // One of the two is cancelled before it ships: its use goes back, and a later shopper gets the discount.
    const cancelled = await bus().call(ordersApi.cancel, { order_id: placed[0].id, caller: shoppers[answers.indexOf(placed[0])] }, LONG);
    expect(cancelled.status).toBe('cancelled');
    expect((await sql<{ times_used: number }>(stack.dbs.cart.url, 'select times_used from coupons where code = $1', [code]))[0].times_used).toBe(1);
    const later = shopper();
    const laterCart = await bus().call(cartApi.applyCoupon, { cart_id: (await readyCart(live(), later, item, 1)).id, caller: later, code });
    const laterOrder = await bus().call(ordersApi.place, { cart_id: laterCart.id, caller: later, idempotency_key: `coupon-${laterCart.id}`, expected_total: laterCart.totals.total }, LONG);
    expect(laterOrder).toMatchObject({ status: 'confirmed', discount: 100, coupon: { code } });
    expect((await sql<{ times_used: number }>(stack.dbs.cart.url, 'select times_used from coupons where code = $1', [code]))[0].times_used).toBe(2);
  }, 120_000);
});
