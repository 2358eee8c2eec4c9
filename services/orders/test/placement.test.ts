import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { AppError, cartApi, catalogApi, formatMoney, ordersApi, paymentsApi, type Caller, type Order } from '@shop/contracts';
import { adminHeaders, httpBoundaryProblems, rawRequest, serviceHeaders } from '@shop/kit/testing';
import { availableOf, pickVariant, readyCart, setStock, startStack, until, type Stack } from './stack.js';

const mailDir = mkdtempSync(path.join(os.tmpdir(), 'orders-mail-'));
let stack: Stack;
let n = 0;
// Random hex, not a timestamp: long digit runs look like card numbers to the payments guard.
const run = randomBytes(4).toString('hex');
const shopper = (): Caller => ({ subject: `user-${run}-${++n}`, conversation: `conv-${run}-${n}` });
const LONG = { timeoutMs: 60_000 };

async function count(url: string, sql: string, params: unknown[] = []): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query(sql, params)).rows[0].n);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  stack = await startStack('orders_place', { MAIL_DIR: mailDir, TRACKING_BASE_URL: 'https://track.test' });
});
afterAll(async () => {
  await stack?.stop();
});

describe('placing an order through the real catalog, cart and payments', () => {
  // One shopper's order from placement to delivery, step by step: the steps run in order and share the state below.
  describe('confirms, charges, commits stock, converts the cart, and mails the shopper; then retried, looked up, shipped, delivered and read over HTTP', () => {
    let caller: Caller;
    let item: Awaited<ReturnType<typeof pickVariant>>;
    let before: Awaited<ReturnType<typeof availableOf>>;
    let cart: Awaited<ReturnType<typeof readyCart>>;
    let order: Order;
    let http: ReturnType<typeof request>;

    beforeAll(async () => {
      caller = shopper();
      item = await pickVariant(stack, 0);
      before = await availableOf(stack, item.variant_id);
      cart = await readyCart(stack, caller, item, 2);
      http = request(stack.orders!.httpUrl);
    });

    it("placing answers with the confirmed order: numbered, the cart's lines and total, paid by card, timeline pending → confirmed, a delivery window, owned by the shopper", async () => {
      order = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}` }, LONG);
      expect(order.status).toBe('confirmed');
      expect(order.number).toMatch(new RegExp(`^ORD-${new Date().getUTCFullYear()}-\\d{5,}$`));
      expect(order.total).toBe(cart.totals.total);
      expect(order.lines).toEqual([expect.objectContaining({ variant_id: item.variant_id, quantity: 2, unit_price: item.price, name: cart.lines[0].name })]);
      expect(order.payment).toEqual({ status: 'captured', brand: 'visa', last4: '4242' });
      expect(order.timeline.map((t) => t.status)).toEqual(['pending', 'confirmed']);
      expect(order.estimated_delivery.earliest < order.estimated_delivery.latest).toBe(true);
      expect(order.owner_subject).toBe(caller.subject);
    });

    it('the stock is committed: stock and available both down by the quantity', async () => {
      const after = await availableOf(stack, item.variant_id);
      expect(after.stock).toBe(before.stock - 2);
      expect(after.available).toBe(before.available - 2);
    });

    it('the cart is converted before the placement answers, and its owner still reads it, as it was bought', async () => {
      // The confirmation converts the cart before it answers; its owner still reads it, as it was bought.
      const converted = await stack.bus.call(cartApi.get, { cart_id: cart.id, caller });
      expect(converted.status).toBe('converted');
      expect(converted.lines.map((l) => [l.variant_id, l.quantity])).toEqual([[item.variant_id, 2]]);
    });

    it('the shopper is mailed the confirmation, with the estimated delivery', async () => {
      const file = await until(async () => readdirSync(mailDir).find((f) => f === `${order.number}-confirmed.eml`));
      const eml = readFileSync(path.join(mailDir, file), 'utf8');
      expect(eml).toContain(`Subject: Your order ${order.number} is confirmed`);
      expect(eml).toContain('Estimated delivery');
    });

    it('retrying the same placement returns the same order, with one payment', async () => {
      const again = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}` }, LONG);
      expect(again.id).toBe(order.id);
      expect(await count(stack.dbs.payments.url, 'select count(*) as n from payments where order_id = $1', [order.id])).toBe(1);
    });

    it('its status is found by its number for its owner, and is ORDER_NOT_FOUND for anyone else', async () => {
      expect((await stack.bus.call(ordersApi.get, { order_id: order.number, caller })).id).toBe(order.id);
      await expect(stack.bus.call(ordersApi.get, { order_id: order.id, caller: { subject: 'someone-else' } })).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
    });

    it('shipping it (admin, HTTP) makes it shipped, with a USPS tracking number and link', async () => {
      const shipped = (await http.post(`/v1/orders/${order.number}/ship`).set(adminHeaders).expect(200)).body;
      expect(shipped.status).toBe('shipped');
      expect(shipped.tracking).toEqual({ carrier: 'USPS', number: expect.stringMatching(/^94\d{18}$/), url: expect.stringContaining('https://track.test/usps/94') });
    });

    it('once shipped, the shopper can no longer cancel it (INVALID_TRANSITION, saying so)', async () => {
      await expect(stack.bus.call(ordersApi.cancel, { order_id: order.id, caller })).rejects.toMatchObject({
        code: 'INVALID_TRANSITION',
        message: `Order ${order.number} has already shipped and can no longer be cancelled`,
      });
    });

    it('shipping it again is refused: 409 INVALID_TRANSITION', async () => {
      const shippedAgain = await http.post(`/v1/orders/${order.id}/ship`).set(adminHeaders).expect(409);
      expect(shippedAgain.body.error.code).toBe('INVALID_TRANSITION');
    });

    it('delivering it completes the timeline pending → confirmed → shipped → delivered, the shipment by fulfilment', async () => {
      const delivered = await stack.bus.call(ordersApi.deliver, { order_id: order.id });
      expect(delivered.timeline.map((t) => t.status)).toEqual(['pending', 'confirmed', 'shipped', 'delivered']);
      expect(delivered.timeline[2].actor).toBe('fulfilment');
    });

    it('over HTTP its shopper reads it as delivered; another subject gets 404', async () => {
      const got = await http.get(`/v1/orders/${order.id}`).set(serviceHeaders).query({ subject: caller.subject }).expect(200);
      expect(got.body.status).toBe('delivered');
      await http.get(`/v1/orders/${order.id}`).set(serviceHeaders).query({ subject: 'intruder' }).expect(404);
    });

    it("over HTTP the shopper's history lists it alone, with its first item's name", async () => {
      const listed = await http.get('/v1/orders').set(serviceHeaders).query({ subject: caller.subject }).expect(200);
      expect(listed.body.items.map((i: { id: string }) => i.id)).toEqual([order.id]);
      expect(listed.body.items[0].first_item_name).toBe(cart.lines[0].name);
    });

    it('over HTTP a malformed order id is refused: 400 INVALID_INPUT naming the id', async () => {
      const bad = await http.get('/v1/orders/not-an-id').set(serviceHeaders).expect(400);
      expect(bad.body.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('id') });
    });

    it('the public OpenAPI document describes the ship route', async () => {
      expect((await http.get('/v1/openapi.json').expect(200)).body.paths['/v1/orders/{id}/ship']).toBeDefined();
    });
  });

  it('HTTP: every route needs a credential; fulfilment and reading an order without its shopper an admin one', async () => {
    // GET /v1/orders/:id is listed as admin: asked without subject or conversation, only an operator may read it.
    const { checked, problems } = await httpBoundaryProblems(stack.orders!.httpUrl, {
      public: ['GET /v1/openapi.json'],
      admin: ['POST /v1/orders/:id/ship', 'POST /v1/orders/:id/deliver', 'GET /v1/orders/:id'],
    });
    expect(problems).toEqual([]);
    expect(checked.length).toBe(6);
  });

  it("HTTP: an order number alone opens nothing: no token, a service token, a cross-site post; the order stays confirmed", async () => {
    const caller: Caller = { subject: `http-${randomBytes(4).toString('hex')}`, conversation: `c-${randomBytes(4).toString('hex')}` };
    const item = await pickVariant(stack, 3);
    const cart = await readyCart(stack, caller, item);
    const order = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}` }, LONG);
    expect(order.status).toBe('confirmed');
    const url = `${stack.orders!.httpUrl}/v1/orders/${order.number}`;
    const anonymous = await rawRequest(url);
    expect([anonymous.status, JSON.parse(anonymous.text).error.code, anonymous.headers['www-authenticate']]).toEqual([401, 'UNAUTHENTICATED', 'Bearer realm="orders"']);
    expect(anonymous.text).not.toContain(caller.subject!);
    const asService = await rawRequest(url, { headers: serviceHeaders });
    expect([asService.status, JSON.parse(asService.text).error.code]).toEqual([403, 'FORBIDDEN']);
    expect(asService.text).not.toContain(caller.subject!);
    expect(JSON.parse((await rawRequest(url, { headers: adminHeaders })).text).owner_subject).toBe(caller.subject);
    expect((await rawRequest(`${url}/ship`, { method: 'POST', headers: serviceHeaders })).status).toBe(403);
    expect((await rawRequest(`${url}/ship`, { method: 'POST', headers: { authorization: 'Bearer ORD-guess' } })).status).toBe(401);
    // The blind cross-site form post of the attack (text/plain, foreign Origin), even carrying the admin token.
    const forged = await rawRequest(`${url}/ship`, { method: 'POST', headers: { ...adminHeaders, origin: 'https://attacker.example', 'content-type': 'text/plain' }, body: '{}' });
    expect([forged.status, JSON.parse(forged.text).error.code]).toEqual([403, 'FORBIDDEN']);
    const rebound = await rawRequest(url, { headers: { ...adminHeaders, host: 'attacker.example' } });
    expect(rebound.status).toBe(403);
    expect((await stack.bus.call(ordersApi.get, { order_id: order.id, caller })).status).toBe('confirmed');
  });

  it('cancels a confirmed order: refund and restock; lists newest first; reorders', async () => {
    const caller = shopper();
    const item = await pickVariant(stack, 1);
    const cart1 = await readyCart(stack, caller, item, 1);
    const first = await stack.bus.call(ordersApi.place, { cart_id: cart1.id, caller, idempotency_key: `place-${cart1.id}` }, LONG);
    const stockAfterOrder = await availableOf(stack, item.variant_id);
    const cancelled = await stack.bus.call(ordersApi.cancel, { order_id: first.number, caller, reason: 'Changed my mind' }, LONG);
    expect(cancelled).toMatchObject({ status: 'cancelled', reason: 'Changed my mind', payment: expect.objectContaining({ status: 'refunded' }) });
    expect((await availableOf(stack, item.variant_id)).stock).toBe(stockAfterOrder.stock + 1);
    expect(await count(stack.dbs.payments.url, 'select count(*) as n from refunds r join payments p on p.id = r.payment_id where p.order_id = $1', [first.id])).toBe(1);
    await expect(stack.bus.call(ordersApi.cancel, { order_id: first.id, caller: { subject: 'intruder' } })).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });

    // Reorder into a fresh cart of the same shopper.
    const fresh = await stack.bus.call(cartApi.resolve, { caller });
    const re = await stack.bus.call(ordersApi.reorder, { order_id: first.id, caller, cart_id: fresh.id }, LONG);
    expect(re.added).toEqual([{ name: first.lines[0].name, quantity: 1 }]);
    expect(re.not_added).toEqual([]);
    expect(re.cart.lines.map((l) => l.variant_id)).toEqual([item.variant_id]);
    const cart2 = await stack.bus.call(cartApi.updateCheckout, {
      cart_id: fresh.id,
      caller,
      shipping_address: first.shipping_address,
      shipping_method: 'express',
      billing_same_as_shipping: true,
      payment_method_id: 'pm_card_mastercard',
      accept_terms: true,
    });
    const second = await stack.bus.call(ordersApi.place, { cart_id: cart2.id, caller, idempotency_key: `place-${cart2.id}` }, LONG);
    expect(second.payment).toMatchObject({ brand: 'mastercard', last4: '4444' });

    const list = await stack.bus.call(ordersApi.list, { caller: { subject: caller.subject }, page: 1, per_page: 1 });
    expect(list.items.map((i) => i.number)).toEqual([second.number]);
    expect(list.page_info).toMatchObject({ total: 2, total_pages: 2, has_more: true });
    // The conversation id alone is no key to a subject's orders.
    const byConversation = await stack.bus.call(ordersApi.list, { caller: { conversation: caller.conversation }, page: 1, per_page: 20 });
    expect(byConversation.items).toEqual([]);
  });

  it('a declined card leaves the order payment_failed, releases the stock and keeps the cart', async () => {
    const caller = shopper();
    const item = await pickVariant(stack, 2);
    const before = await availableOf(stack, item.variant_id);
    const cart = await readyCart(stack, caller, item, 1, 'pm_card_chargeDeclined');
    const order = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}` }, LONG);
    expect(order.status).toBe('payment_failed');
    expect(order.reason).toMatch(/declined/i);
    expect(order.payment).toMatchObject({ status: 'failed', last4: '0002' });
    expect(await availableOf(stack, item.variant_id)).toEqual(before);
    const still = await stack.bus.call(cartApi.get, { cart_id: cart.id, caller });
    expect(still.status).toBe('active');
    expect(still.lines).toHaveLength(1);
    expect(await count(stack.dbs.orders.url, `select count(*) as n from orders_with_saga where cart_id = $1 and status = 'confirmed'`, [cart.id])).toBe(0);
    const log = await count(stack.dbs.orders.url, `select count(*) as n from saga_log where order_id = $1 and step in ('created','validated','reserved','charging','compensating','failed')`, [order.id]);
    expect(log).toBe(6);
    // The same request again is the same failed order; under the same key with another card it is a new attempt, which goes through.
    const again = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}` }, LONG);
    expect(again).toMatchObject({ id: order.id, status: 'payment_failed' });
    const ok = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}`, payment_method_id: 'pm_card_visa' }, LONG);
    expect(ok).toMatchObject({ status: 'confirmed', payment: { brand: 'visa' } });
    expect(ok.id).not.toBe(order.id);
    expect(await count(stack.dbs.payments.url, `select count(*) as n from payments where order_id = $1 and status = 'captured'`, [ok.id])).toBe(1);
  });

  it('answers "the order of this cart" (orders.orders.placed): the one placed from it, or the conversation\'s just before a fresh cart', async () => {
    const caller = shopper();
    const item = await pickVariant(stack, 3);
    const cart = await readyCart(stack, caller, item, 1);
    // Nothing placed from the cart yet.
    expect(await stack.bus.call(ordersApi.placed, { cart_id: cart.id, caller })).toEqual({ order: null });
    const order = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}` }, LONG);
    expect(order.status).toBe('confirmed');
    expect((await stack.bus.call(ordersApi.placed, { cart_id: cart.id, caller })).order).toMatchObject({ id: order.id, cart_id: cart.id });
    // Another shopper who learnt the cart id is told nothing.
    expect(await stack.bus.call(ordersApi.placed, { cart_id: cart.id, caller: { subject: 'someone-else', conversation: 'other' } })).toEqual({ order: null });

    // The conversation's next cart is new and untouched: a repeated "place it" means the order just placed.
    const fresh = await stack.bus.call(cartApi.resolve, { caller });
    expect(fresh.id).not.toBe(cart.id);
    const repeat = await stack.bus.call(ordersApi.placed, { cart_id: fresh.id, caller, fresh_cart_created_at: fresh.created_at });
    expect(repeat.order?.id).toBe(order.id);
    // Not when the cart is older than the order, nor for another conversation.
    const before = new Date(Date.parse(order.created_at) - 1000).toISOString();
    expect(await stack.bus.call(ordersApi.placed, { cart_id: fresh.id, caller, fresh_cart_created_at: before })).toEqual({ order: null });
    expect(await stack.bus.call(ordersApi.placed, { cart_id: fresh.id, caller: { ...caller, conversation: 'another-conversation' }, fresh_cart_created_at: fresh.created_at })).toEqual({ order: null });
  });

  it('for an account calling without a conversation, "the order just before its fresh cart" is the account\'s', async () => {
    const caller: Caller = { subject: `user-${run}-${++n}` };
    const item = await pickVariant(stack, 3);
    const cart = await readyCart(stack, caller, item, 1);
    const order = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}` }, LONG);
    expect(order.status).toBe('confirmed');
    const fresh = await stack.bus.call(cartApi.resolve, { caller });
    expect(fresh.id).not.toBe(cart.id);
    expect((await stack.bus.call(ordersApi.placed, { cart_id: fresh.id, caller, fresh_cart_created_at: fresh.created_at })).order?.id).toBe(order.id);
    expect(await stack.bus.call(ordersApi.placed, { cart_id: fresh.id, caller: { subject: 'another-account' }, fresh_cart_created_at: fresh.created_at })).toEqual({ order: null });
  });

  it('a declined order is never "the order of this cart": placing again is a new attempt', async () => {
    const caller = shopper();
    const item = await pickVariant(stack, 3);
    const cart = await readyCart(stack, caller, item, 1, 'pm_card_chargeDeclined');
    const declined = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}` }, LONG);
    expect(declined.status).toBe('payment_failed');
    expect(await stack.bus.call(ordersApi.placed, { cart_id: cart.id, caller })).toEqual({ order: null });
    const later = new Date(Date.now() + 1000).toISOString();
    expect(await stack.bus.call(ordersApi.placed, { cart_id: cart.id, caller, fresh_cart_created_at: later })).toEqual({ order: null });
  });

  it('places the order of a cart created without a conversation: the cart is its own conversation, so the order is found by it', async () => {
    const item = await pickVariant(stack, 3);
    const cart = await readyCart(stack, {}, item, 1);
    expect(cart.conversation).toBe(`cart:${cart.id}`);
    const order = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller: {}, idempotency_key: `place-${cart.id}` }, LONG);
    expect(order).toMatchObject({ status: 'confirmed', owner_subject: null, conversation: `cart:${cart.id}` });
    const byHandle: Caller = { conversation: `cart:${cart.id}` };
    expect((await stack.bus.call(ordersApi.get, { order_id: order.number, caller: byHandle })).id).toBe(order.id);
    expect((await stack.bus.call(ordersApi.list, { caller: byHandle, page: 1, per_page: 10 })).items.map((o) => o.id)).toEqual([order.id]);
    expect((await stack.bus.call(ordersApi.placed, { cart_id: cart.id, caller: byHandle })).order?.id).toBe(order.id);
    // Without the handle the order is nobody's to read.
    await expect(stack.bus.call(ordersApi.get, { order_id: order.number, caller: { conversation: 'guess' } })).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
  });

  it('a payment that asks for authentication fails with a reason to use another method, and is voided', async () => {
    const caller = shopper();
    const item = await pickVariant(stack, 2);
    const cart = await readyCart(stack, caller, item, 1, 'pm_card_authenticationRequired');
    const order = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `place-${cart.id}` }, LONG);
    expect(order.status).toBe('payment_failed');
    expect(order.reason).toMatch(/another payment method/);
    expect(order.payment.status).not.toBe('captured');
    const rows = await count(stack.dbs.payments.url, `select count(*) as n from payments where order_id = $1 and status in ('voided', 'canceled', 'failed')`, [order.id]);
    expect(rows).toBe(1);
  });

  it('saves the payment method for the owner account when asked, and for nobody without one', async () => {
    // The subject is the verified account id (an access token's sub): a UUID.
    const saver: Caller = { subject: randomUUID(), conversation: `saver-${run}-${++n}` };
    const item = await pickVariant(stack, 4);
    const cart = await readyCart(stack, saver, item, 1, 'pm_card_mastercard');
    await stack.bus.call(cartApi.updateCheckout, { cart_id: cart.id, caller: saver, save_payment_method: true });
    expect((await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller: saver, idempotency_key: `save-${cart.id}` }, LONG)).status).toBe('confirmed');
    const saved = (await stack.bus.call(paymentsApi.listMethods, { account: saver.subject! })).methods;
    expect(saved[0]).toMatchObject({ id: 'pm_card_mastercard', saved: true, is_default: true });
    expect(saved.filter((m) => m.saved)).toHaveLength(1);

    // The same shopper without asking: nothing more is saved.
    const later = await readyCart(stack, saver, item, 1, 'pm_card_visa');
    expect(later.checkout.save_payment_method).toBe(false);
    expect((await stack.bus.call(ordersApi.place, { cart_id: later.id, caller: saver, idempotency_key: `nosave-${later.id}` }, LONG)).status).toBe('confirmed');
    expect((await stack.bus.call(paymentsApi.listMethods, { account: saver.subject! })).methods.filter((m) => m.saved).map((m) => m.id)).toEqual(['pm_card_mastercard']);

    // A shopper known only by the conversation asks to save: paid, but nothing is saved for anyone.
    const anonymous: Caller = { conversation: `anon-${run}-${++n}` };
    const anonCart = await readyCart(stack, anonymous, item, 1, 'pm_card_mastercard');
    await stack.bus.call(cartApi.updateCheckout, { cart_id: anonCart.id, caller: anonymous, save_payment_method: true });
    expect((await stack.bus.call(ordersApi.place, { cart_id: anonCart.id, caller: anonymous, idempotency_key: `anon-${anonCart.id}` }, LONG)).status).toBe('confirmed');
    expect((await stack.bus.call(paymentsApi.listMethods, {})).methods.filter((m) => m.saved)).toEqual([]);
    expect(await count(stack.dbs.payments.url, 'select count(*) as n from account_payment_methods where account_id <> $1', [saver.subject])).toBe(0);
  });

  it('refuses an empty cart and an incomplete checkout with clear errors', async () => {
    const caller = shopper();
    const cart = await stack.bus.call(cartApi.resolve, { caller });
    await expect(stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `empty-${cart.id}` }, LONG)).rejects.toMatchObject({ code: 'CART_EMPTY' });
    const item = await pickVariant(stack, 3);
    await stack.bus.call(cartApi.addLine, { cart_id: cart.id, caller, product_id: item.product_id, variant_id: item.variant_id, quantity: 1 });
    const err = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `incomplete-${cart.id}` }, LONG).catch((e) => e);
    expect(err).toMatchObject({ code: 'CHECKOUT_INCOMPLETE', message: expect.stringMatching(/^Add a shipping address first/) });
    expect(err.details.missing_steps).toContain('shipping_address');
    await expect(stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: 'bad key!' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    // A refused placement is not an order in the shopper's history.
    expect((await stack.bus.call(ordersApi.list, { caller: { subject: caller.subject }, page: 1, per_page: 20 })).items).toEqual([]);
  });

  it('10 concurrent placements with one key make one order and one payment', async () => {
    const caller = shopper();
    const item = await pickVariant(stack, 4);
    const cart = await readyCart(stack, caller, item, 1);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `same-${cart.id}` }, LONG)),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.every((r) => r.status === 'confirmed')).toBe(true);
    expect(await count(stack.dbs.orders.url, 'select count(*) as n from orders_with_saga where cart_id = $1', [cart.id])).toBe(1);
    expect(await count(stack.dbs.payments.url, 'select count(*) as n from payments where order_id = $1', [results[0].id])).toBe(1);
  });

  // The race, then what it left behind: two steps in order, sharing the variant below.
  describe('40 shoppers racing for the last 5 units: 5 orders, 35 clear OUT_OF_STOCK refusals', () => {
    let item: Awaited<ReturnType<typeof pickVariant>>;

    beforeAll(async () => {
      item = await pickVariant(stack, 5);
      await setStock(stack, item.variant_id, 5);
    });

    it('the race: 5 orders confirmed, 35 placements refused with OUT_OF_STOCK naming the variant and saying what is available', async () => {
      const shoppers = Array.from({ length: 40 }, () => shopper());
      const carts = await Promise.all(shoppers.map((caller) => readyCart(stack, caller, item, 1)));
      const outcomes = await Promise.allSettled(
        carts.map((cart, i) => stack.bus.call(ordersApi.place, { cart_id: cart.id, caller: shoppers[i], idempotency_key: `race-${cart.id}` }, LONG)),
      );
      const confirmed = outcomes.filter((o) => o.status === 'fulfilled' && o.value.status === 'confirmed');
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(confirmed).toHaveLength(5);
      expect(refused).toHaveLength(35);
      for (const r of refused) {
        expect(r.reason).toMatchObject({ code: 'OUT_OF_STOCK', details: { items: [expect.objectContaining({ variant_id: item.variant_id, requested: 1 })] } });
        expect(r.reason.message).toMatch(/available|out of stock/i);
      }
    }, 120_000);

    it('afterwards: the variant has no stock left and none available, and at least the 5 winners were charged', async () => {
      expect(await availableOf(stack, item.variant_id)).toEqual({ stock: 0, available: 0 });
      expect(await count(stack.dbs.payments.url, 'select count(*) as n from payments')).toBeGreaterThanOrEqual(5);
    });
  });
});

describe('a cart that changed between what the shopper saw and placement', () => {
  const setPrice = (variantId: string, price: number) => stack.bus.call(catalogApi.updateVariant, { variant_id: variantId, price });
  const refusalOf = (p: Promise<unknown>) => p.then((v) => ({ placed: v }) as never, (e: AppError) => e);

  /** Nothing was placed, reserved or charged for the cart. */
  async function nothingCharged(cartId: string, variantId: string, before: { available: number; stock: number }) {
    expect(await count(stack.dbs.orders.url, `select count(*) as n from orders_with_saga where cart_id = $1 and status <> 'cancelled'`, [cartId])).toBe(0);
    const client = new pg.Client({ connectionString: stack.dbs.orders.url });
    await client.connect();
    const ids = (await client.query<{ id: string }>('select id from orders_with_saga where cart_id = $1', [cartId]).finally(() => client.end())).rows.map((r) => r.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(await count(stack.dbs.payments.url, 'select count(*) as n from payments where order_id = any($1::uuid[])', [ids])).toBe(0);
    expect(await availableOf(stack, variantId)).toEqual(before);
  }

  it('refuses a price rise with CART_CHANGED naming it and the new total; confirming the new total then places it', async () => {
    const caller = shopper();
    const item = await pickVariant(stack, 6);
    const cart = await readyCart(stack, caller, item, 1);
    // What the gateway read and the shopper confirmed:
    const seen = await stack.bus.call(cartApi.get, { cart_id: cart.id, caller });
    expect(seen.messages).toEqual([]);
    await setPrice(item.variant_id, item.price + 500);
    const before = await availableOf(stack, item.variant_id);

    const err = await refusalOf(stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `changed-${cart.id}`, expected_total: seen.totals.total }, LONG));
    expect(err.code).toBe('CART_CHANGED');
    const now = await stack.bus.call(cartApi.get, { cart_id: cart.id, caller });
    expect(now.lines[0].unit_price).toBe(item.price + 500);
    expect(now.totals.total).toBeGreaterThan(seen.totals.total);
    expect(err.message).toMatch(/^Your cart changed: The price of .+ went up from \$[\d.,]+ to \$[\d.,]+; your cart uses the new price\. The total is now \$[\d.,]+\. Nothing was charged\.$/);
    expect(err.message).toContain(`went up from ${formatMoney(item.price)} to ${formatMoney(item.price + 500)}`);
    expect(err.message).toContain(`The total is now ${formatMoney(now.totals.total)}. Nothing was charged.`);
    expect(err.details).toMatchObject({ total: now.totals.total, expected_total: seen.totals.total, messages: [expect.objectContaining({ type: 'price_changed', old_price: item.price, new_price: item.price + 500 })] });
    await nothingCharged(cart.id, item.variant_id, before);
    // The refusal is the answer for that key.
    expect((await refusalOf(stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `changed-${cart.id}`, expected_total: seen.totals.total }, LONG))).code).toBe('CART_CHANGED');

    const placed = await stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `reconfirmed-${cart.id}`, expected_total: now.totals.total }, LONG);
    expect(placed).toMatchObject({ status: 'confirmed', total: now.totals.total });
  });

  it('refuses when the stock left lowered a quantity, even without an expected total', async () => {
    const caller = shopper();
    const item = await pickVariant(stack, 7);
    await setStock(stack, item.variant_id, 10);
    const cart = await readyCart(stack, caller, item, 3);
    await setStock(stack, item.variant_id, 2);
    const before = await availableOf(stack, item.variant_id);

    const err = await refusalOf(stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `stock-${cart.id}` }, LONG));
    const now = await stack.bus.call(cartApi.get, { cart_id: cart.id, caller });
    expect(now.lines[0].quantity).toBe(2);
    expect(err).toMatchObject({ code: 'CART_CHANGED', details: { total: now.totals.total, messages: [expect.objectContaining({ type: 'quantity_reduced', available: 2 })] } });
    expect(err.message).toMatch(/^Your cart changed: Only 2 left .+: we lowered your quantity from 3 to 2\. The total is now \$[\d.,]+\. Nothing was charged\.$/);
    expect(err.message).toContain(`The total is now ${formatMoney(now.totals.total)}.`);
    await nothingCharged(cart.id, item.variant_id, before);
  });

  it('refuses when a price drop removed the coupon, listing both changes', async () => {
    const caller = shopper();
    const item = await pickVariant(stack, 8);
    await setPrice(item.variant_id, 3_000);
    const cart = await readyCart(stack, caller, item, 1);
    const withCoupon = await stack.bus.call(cartApi.applyCoupon, { cart_id: cart.id, caller, code: 'SAVE5' });
    expect(withCoupon.totals.discount).toBe(500);
    await setPrice(item.variant_id, 2_000);
    const before = await availableOf(stack, item.variant_id);

    const err = await refusalOf(stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `coupon-${cart.id}`, expected_total: withCoupon.totals.total }, LONG));
    expect(err.code).toBe('CART_CHANGED');
    expect((err.details!.messages as Array<{ type: string }>).map((m) => m.type)).toEqual(['price_changed', 'coupon_removed']);
    // $20.00, no coupon, standard $5.99 below $50, tax 8.75 % of 20.00 = 1.75: $27.74.
    expect(err.details).toMatchObject({ total: 2_774 });
    expect(err.message).toMatch(/dropped from \$30\.00 to \$20\.00; your cart uses the new price\. Coupon SAVE5 was removed: .+ The total is now \$27\.74\. Nothing was charged\.$/);
    await nothingCharged(cart.id, item.variant_id, before);
  });

  it('refuses a total other than the one the shopper confirmed', async () => {
    const caller = shopper();
    const item = await pickVariant(stack, 9);
    const cart = await readyCart(stack, caller, item, 1);
    const before = await availableOf(stack, item.variant_id);
    const err = await refusalOf(stack.bus.call(ordersApi.place, { cart_id: cart.id, caller, idempotency_key: `total-${cart.id}`, expected_total: cart.totals.total - 100 }, LONG));
    expect(err).toMatchObject({
      code: 'CART_CHANGED',
      message: `Your cart changed: you confirmed a total of ${formatMoney(cart.totals.total - 100)}. The total is now ${formatMoney(cart.totals.total)}. Nothing was charged.`,
      details: { total: cart.totals.total, expected_total: cart.totals.total - 100, messages: [] },
    });
    await nothingCharged(cart.id, item.variant_id, before);
  });
});
