import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { jetstream } from '@nats-io/jetstream';
import { Cart, cartApi, cartConversation, cartEvents, catalogApi, orderEvents, type ProductDetail } from '@shop/contracts';
import { adminHeaders, freshDatabase, freshPrefix, httpBoundaryProblems, rawRequest, serviceHeaders, testEnv } from '@shop/kit/testing';
import { start as startCatalog } from '@shop/catalog';
import { start as startCart } from '../src/main.js';
import { productByName, recordEvents, refusal, shopper } from './helpers.js';

type Running = Awaited<ReturnType<typeof startCart>>;

describe('cart service (real Postgres, NATS and catalog)', () => {
  let catalogDb: Awaited<ReturnType<typeof freshDatabase>>;
  let cartDb: Awaited<ReturnType<typeof freshDatabase>>;
  let catalog: Awaited<ReturnType<typeof startCatalog>>;
  let cart: Running;
  let events: Awaited<ReturnType<typeof recordEvents>>;
  let pegasus: ProductDetail;
  let mug: ProductDetail;
  let trailblazer: ProductDetail;
  let bottle: ProductDetail;

  const call = <K extends keyof typeof cartApi>(k: K, req: Parameters<Running['runtime']['bus']['call']>[1]) =>
    cart.runtime.bus.call(cartApi[k], req as never) as Promise<Cart>;
  const variantOf = (p: ProductDetail, size: string | null, color: string | null) => p.variants.find((v) => v.size === size && v.color === color)!;

  beforeAll(async () => {
    const prefix = freshPrefix();
    [catalogDb, cartDb] = await Promise.all([freshDatabase('cart_catalog'), freshDatabase('cart')]);
    catalog = await startCatalog(testEnv(catalogDb.url, prefix));
    cart = await startCart(testEnv(cartDb.url, prefix));
    events = await recordEvents(cart.runtime, [cartEvents.created, cartEvents.converted]);
    [pegasus, mug, trailblazer, bottle] = await Promise.all(
      ['Pegasus 41 Road Running Shoe', 'Classic Ceramic Coffee Mug', 'Trailblazer Limited Trail Shoe', 'Glacier Insulated Water Bottle'].map((n) => productByName(cart.runtime, n)),
    );
  });

  afterAll(async () => {
    await events?.stop();
    await cart?.stop();
    await catalog?.stop();
    await Promise.all([cartDb?.drop(), catalogDb?.drop()]);
  });

  async function newCart(label: string) {
    const who = shopper(label);
    const c = await call('resolve', { caller: who });
    return { who, id: c.id, cart: c };
  }

  describe('resolving carts', () => {
    it('gets or creates the active cart of a conversation, with a 128-bit id, and publishes evt.cart.created', async () => {
      const who = shopper('resolve');
      const first = await call('resolve', { caller: who });
      expect(Cart.parse(first)).toBeTruthy();
      expect(first.id).toMatch(/^[0-9a-f]{32}$/);
      expect(first).toMatchObject({ status: 'active', owner_subject: who.subject, conversation: who.conversation, lines: [], version: 0 });
      expect((await call('resolve', { caller: who })).id).toBe(first.id);
      expect((await call('resolve', { caller: { subject: who.subject }, cart_id: first.id })).id).toBe(first.id);
      const created = await events.waitFor((e) => e.type === cartEvents.created && e.data.cart_id === first.id);
      expect(created.data).toMatchObject({ owner_subject: who.subject, conversation: who.conversation, item_count: 0 });
    });

    it('creates exactly one cart when a conversation resolves concurrently', async () => {
      const who = shopper('race');
      const carts = await Promise.all(Array.from({ length: 10 }, () => call('resolve', { caller: who })));
      expect(new Set(carts.map((c) => c.id)).size).toBe(1);
    });

    it('peek shows a caller without a cart the empty cart (id null) and writes nothing; once the cart exists it shows that cart', async () => {
      const who = shopper('peek');
      const rows = async () => Number((await cart.runtime.pool.query('select count(*) from carts where conversation = $1', [who.conversation])).rows[0].count);
      const empty = await call('peek', { caller: who });
      expect(empty).toMatchObject({ id: null, status: 'active', conversation: who.conversation, lines: [], coupon: null, version: 0 });
      expect(await rows()).toBe(0);
      const created = await call('resolve', { caller: who });
      // The empty view is what a new cart shows: same totals and checkout state.
      const { id: _a, created_at: _b, updated_at: _c, ...fresh } = created;
      const { id: _d, created_at: _e, updated_at: _f, ...shown } = empty;
      expect(shown).toEqual(fresh);
      expect((await call('peek', { caller: who })).id).toBe(created.id);
      expect(await rows()).toBe(1);
      await events.waitFor((e) => e.type === cartEvents.created && e.data.cart_id === created.id);
      expect(events.seen.filter((e) => e.type === cartEvents.created && e.data.conversation === who.conversation)).toHaveLength(1);
      // A caller with no conversation has nothing to find: the empty cart, and still no row.
      expect((await call('peek', { caller: {} })).id).toBeNull();
      expect((await refusal(call('peek', { caller: shopper('stranger'), cart_id: created.id }))).code).toBe('CART_FORBIDDEN');
    });

    it('makes a cart created without a conversation its own conversation (cart:<id>), reachable by its id alone', async () => {
      const created = await call('resolve', { caller: {} });
      expect(created.conversation).toBe(cartConversation(created.id));
      expect(created.conversation).toBe(`cart:${created.id}`);
      const event = await events.waitFor((e) => e.type === cartEvents.created && e.data.cart_id === created.id);
      expect(event.data).toMatchObject({ owner_subject: null, conversation: `cart:${created.id}` });
      // Each such call is a new client as far as the cart knows: another cart, another conversation.
      const other = await call('resolve', { caller: {} });
      expect(other.id).not.toBe(created.id);
      expect(other.conversation).toBe(`cart:${other.id}`);
      // The id is the handle: by id, or under that conversation, the same cart.
      await call('addLine', { cart_id: created.id, caller: {}, product_id: mug.id, quantity: 1 });
      expect((await call('resolve', { caller: { conversation: `cart:${created.id}` } })).lines).toHaveLength(1);
      // A signed-in caller without a conversation keeps the cart as its owner, under the same rule.
      const owned = await call('resolve', { caller: { subject: `subj-${randomUUID()}` } });
      expect(owned.conversation).toBe(`cart:${owned.id}`);
    });

    it('refuses unknown cart ids and malformed ones', async () => {
      expect((await refusal(call('get', { cart_id: '0'.repeat(32), caller: {} }))).code).toBe('CART_NOT_FOUND');
      const bad = await refusal(call('get', { cart_id: 'cart-1', caller: {} }));
      expect(bad.code).toBe('INVALID_INPUT');
      expect(bad.message).toContain('cart_id');
    });
  });

  describe('ownership', () => {
    it('refuses reading or changing a cart under another subject (CART_FORBIDDEN)', async () => {
      const { who, id } = await newCart('owner');
      const intruder = { subject: `someone-else-${randomUUID()}` };
      for (const attempt of [
        () => call('get', { cart_id: id, caller: intruder }),
        () => call('resolve', { cart_id: id, caller: intruder }),
        () => call('resolve', { caller: { ...intruder, conversation: who.conversation } }),
        () => call('addLine', { cart_id: id, caller: intruder, product_id: mug.id }),
        () => call('applyCoupon', { cart_id: id, caller: intruder, code: 'FREESHIP' }),
        () => call('updateCheckout', { cart_id: id, caller: intruder, accept_terms: true }),
        () => call('clear', { cart_id: id, caller: intruder }),
        // A caller without a subject is not the owner either.
        () => call('get', { cart_id: id, caller: {} }),
      ]) {
        expect((await refusal(attempt())).code).toBe('CART_FORBIDDEN');
      }
      const http = await request(cart.httpUrl).get(`/v1/carts/${id}`).set(serviceHeaders).set('x-shopper-subject', intruder.subject);
      expect(http.status).toBe(403);
      expect(http.body.error.code).toBe('CART_FORBIDDEN');
      expect(JSON.stringify(http.body)).not.toMatch(/at .*\.js/);
      const mine = await call('get', { cart_id: id, caller: { subject: who.subject } });
      expect(mine.lines).toEqual([]);
    });

    it('an unowned cart is never adopted: the first caller with a subject does not lock its conversation out', async () => {
      const conversation = `anon-${randomUUID()}`;
      const anonymous = await call('resolve', { caller: { conversation } });
      expect(anonymous.owner_subject).toBeNull();
      const alice = { subject: `alice-${randomUUID()}` };
      expect((await call('get', { cart_id: anonymous.id, caller: alice })).owner_subject).toBeNull();
      // The conversation that made it still finds it and may change it.
      const again = await call('resolve', { caller: { conversation } });
      expect(again.id).toBe(anonymous.id);
      expect(again.owner_subject).toBeNull();
      await call('addLine', { cart_id: anonymous.id, caller: { conversation }, product_id: mug.id, quantity: 1 });
      expect((await call('get', { cart_id: anonymous.id, caller: { conversation } })).lines).toHaveLength(1);
    });
  });

  describe('lines', () => {
    it('adding 1 then 2 of the same item gives one line of 3, priced 2997 + 599 shipping + 262 tax = 3858', async () => {
      const { who, id } = await newCart('mugs');
      await call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 1 });
      const c = await call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 2 });
      expect(c.lines).toHaveLength(1);
      expect(c.lines[0]).toMatchObject({ name: 'Classic Ceramic Coffee Mug', brand: 'Hearthstone Home', unit_price: 999, quantity: 3, line_subtotal: 2997, size: null });
      expect(c.totals).toMatchObject({ subtotal: 2997, discount: 0, shipping: 599, shipping_is_estimate: true, tax: 262, total: 3858, item_count: 3 });
      expect(c.version).toBe(2);
    });

    it('adds to the conversation\'s cart in one request (add_resolved): found or created, owned, and refused like addLine', async () => {
      const who = shopper('add-resolved');
      const first = await call('addToResolved', { caller: who, product_id: mug.id, quantity: 2 });
      expect(first).toMatchObject({ status: 'active', owner_subject: who.subject, conversation: who.conversation, version: 1 });
      expect(first.lines).toEqual([expect.objectContaining({ product_id: mug.id, quantity: 2 })]);
      const again = await call('addToResolved', { caller: who, product_id: trailblazer.id, size: '10' });
      expect(again.id).toBe(first.id);
      expect((await call('resolve', { caller: who })).lines).toHaveLength(2);
      const byId = await call('addToResolved', { cart_id: first.id, caller: { subject: who.subject }, product_id: mug.id });
      expect(byId.lines.find((l) => l.product_id === mug.id)?.quantity).toBe(3);
      const intruder = { subject: `someone-else-${randomUUID()}` };
      expect((await refusal(call('addToResolved', { caller: { ...intruder, conversation: who.conversation }, product_id: mug.id }))).code).toBe('CART_FORBIDDEN');
      // The cart's refusal wins over the product's, as with addLine.
      expect((await refusal(call('addToResolved', { cart_id: first.id, caller: intruder, product_id: randomUUID() }))).code).toBe('CART_FORBIDDEN');
      expect((await refusal(call('addToResolved', { caller: shopper('unknown-product'), product_id: randomUUID() }))).code).toBe('PRODUCT_NOT_FOUND');
    });

    it('20 concurrent adds of the same item end as one line with quantity 20', async () => {
      const { who, id } = await newCart('concurrent');
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 1 })));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const c = await call('get', { cart_id: id, caller: who });
      expect(c.lines).toHaveLength(1);
      expect(c.lines[0].quantity).toBe(20);
      expect(c.version).toBe(20);
      const { rows } = await cart.runtime.pool.query('select count(*)::int as n, sum(quantity)::int as q from cart_lines where cart_id = $1', [id]);
      expect(rows[0]).toEqual({ n: 1, q: 20 });
    });

    it('concurrent adds past the per-line limit: exactly the ones that fit land, the rest are refused, nothing is lost', async () => {
      const { who, id } = await newCart('concurrent-limit');
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 10 })));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: string }).code] : []));
      expect(refused).toEqual(['CART_LIMIT', 'CART_LIMIT', 'CART_LIMIT']);
      const c = await call('get', { cart_id: id, caller: who });
      expect(c.lines.map((l) => l.quantity)).toEqual([90]);
      expect(c.version).toBe(9);
    });

    it('concurrent adds of different items to one cart all land, each its own line', async () => {
      const { who, id } = await newCart('concurrent-items');
      const adds = [
        { product_id: mug.id },
        { product_id: trailblazer.id, size: '9' },
        { product_id: trailblazer.id, size: '10' },
        { product_id: pegasus.id, size: '10', color: 'blue' },
      ];
      const results = await Promise.allSettled(adds.flatMap((a) => [a, a]).map((a) => call('addLine', { cart_id: id, caller: who, ...a, quantity: 1 })));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const c = await call('get', { cart_id: id, caller: who });
      expect(c.lines.map((l) => l.quantity)).toEqual([2, 2, 2, 2]);
      expect(new Set(c.lines.map((l) => l.variant_id)).size).toBe(4);
      expect(c.version).toBe(8);
    });

    it('resolves "size 10" on a one-colour shoe, and asks for size and colour when missing', async () => {
      const { who, id } = await newCart('sizes');
      const c = await call('addLine', { cart_id: id, caller: who, product_id: trailblazer.id, size: 'size 10' });
      expect(c.lines[0]).toMatchObject({ size: '10', color: 'Forest Green', variant_id: variantOf(trailblazer, '10', 'Forest Green').id });
      const ask = await refusal(call('addLine', { cart_id: id, caller: who, product_id: pegasus.id }));
      expect(ask.code).toBe('INVALID_INPUT');
      expect(ask.message).toMatch(/Which size \(7, .*13\) and which colour \(Black, Blue\)/);
      const askColour = await refusal(call('addLine', { cart_id: id, caller: who, product_id: pegasus.id, size: '10' }));
      expect(askColour.message).toContain('Which colour (Black, Blue)');
      const ok = await call('addLine', { cart_id: id, caller: who, product_id: pegasus.id, size: '10', color: 'blue' });
      expect(ok.lines.map((l) => [l.name, l.size, l.color])).toContainEqual(['Pegasus 41 Road Running Shoe', '10', 'Blue']);
    });

    it('refuses size XL on a shoe with VARIANT_NOT_FOUND listing the sizes', async () => {
      const { who, id } = await newCart('xl');
      const e = await refusal(call('addLine', { cart_id: id, caller: who, product_id: pegasus.id, size: 'XL', color: 'Black' }));
      expect(e.code).toBe('VARIANT_NOT_FOUND');
      expect(e.message).toContain('does not come in size XL');
      expect(e.message).toMatch(/Available sizes: 7, .*13/);
    });

    it('refuses more than is available: "Only 2 left in size 10" with details.available', async () => {
      const { who, id } = await newCart('stock');
      const e = await refusal(call('addLine', { cart_id: id, caller: who, product_id: trailblazer.id, size: '10', quantity: 3 }));
      expect(e.code).toBe('OUT_OF_STOCK');
      expect(e.message).toContain('Only 2 left in size 10');
      expect(e.details).toMatchObject({ available: 2 });
      await call('addLine', { cart_id: id, caller: who, product_id: trailblazer.id, size: '10', quantity: 2 });
      const more = await refusal(call('addLine', { cart_id: id, caller: who, product_id: trailblazer.id, size: '10', quantity: 1 }));
      expect(more.details).toMatchObject({ available: 2, in_cart: 2, requested: 3 });
      const soldOut = await refusal(call('addLine', { cart_id: id, caller: who, product_id: bottle.id, color: 'Green' }));
      expect(soldOut).toMatchObject({ code: 'OUT_OF_STOCK', details: { available: 0 } });
    });

    it('passes PROHIBITED_ITEM through for refused ids and refuses unknown products', async () => {
      const { who, id } = await newCart('prohibited');
      const { items } = await cart.runtime.bus.call(catalogApi.listRefused, {});
      expect(items.length).toBeGreaterThan(0);
      const e = await refusal(call('addLine', { cart_id: id, caller: who, product_id: items[0].id }));
      expect(e.code).toBe('PROHIBITED_ITEM');
      expect((await refusal(call('addLine', { cart_id: id, caller: who, product_id: randomUUID() }))).code).toBe('PRODUCT_NOT_FOUND');
      expect((await call('get', { cart_id: id, caller: who })).lines).toEqual([]);
    });

    it('validates quantities naming the field', async () => {
      const { who, id } = await newCart('qty');
      for (const quantity of [0, -1, 100, 1.5]) {
        const e = await refusal(call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity }));
        expect(e.code).toBe('INVALID_INPUT');
        expect(e.message).toContain('quantity');
      }
      await call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 90 });
      expect((await refusal(call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 10 }))).code).toBe('CART_LIMIT');
    });

    it('updates a quantity (0 removes), removes a line and clears the cart', async () => {
      const { who, id } = await newCart('update');
      let c = await call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 1 });
      c = await call('addLine', { cart_id: id, caller: who, product_id: trailblazer.id, size: '9' });
      const [mugLine, shoeLine] = c.lines;
      c = await call('updateLine', { cart_id: id, caller: who, line_id: mugLine.id, quantity: 5 });
      expect(c.lines.find((l) => l.id === mugLine.id)?.quantity).toBe(5);
      const tooMany = await refusal(call('updateLine', { cart_id: id, caller: who, line_id: shoeLine.id, quantity: 30 }));
      expect(tooMany).toMatchObject({ code: 'OUT_OF_STOCK', details: { available: 25 } });
      expect(tooMany.message).toContain('Only 25 left in size 9');
      c = await call('updateLine', { cart_id: id, caller: who, line_id: shoeLine.id, quantity: 0 });
      expect(c.lines.map((l) => l.id)).toEqual([mugLine.id]);
      expect((await refusal(call('removeLine', { cart_id: id, caller: who, line_id: shoeLine.id }))).code).toBe('LINE_NOT_FOUND');
      c = await call('removeLine', { cart_id: id, caller: who, line_id: mugLine.id });
      expect(c.lines).toEqual([]);
      await call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 2 });
      c = await call('clear', { cart_id: id, caller: who });
      expect(c.lines).toEqual([]);
      expect(c.totals).toMatchObject({ subtotal: 0, total: 0, item_count: 0 });
    });
  });

  describe('re-pricing on read', () => {
    it('reports a changed price once, takes it into the snapshot and bumps the version', async () => {
      const { who, id } = await newCart('price');
      const variant = variantOf(pegasus, '8', 'Black');
      const added = await call('addLine', { cart_id: id, caller: who, product_id: pegasus.id, variant_id: variant.id, quantity: 2 });
      await cart.runtime.bus.call(catalogApi.updateVariant, { variant_id: variant.id, price: 7499 });
      const c = await call('get', { cart_id: id, caller: who });
      expect(c.messages).toEqual([
        expect.objectContaining({ type: 'price_changed', line_id: added.lines[0].id, old_price: 8999, new_price: 7499, message: expect.stringContaining('from $89.99 to $74.99') }),
      ]);
      expect(c.lines[0]).toMatchObject({ unit_price: 7499, line_subtotal: 14998 });
      expect(c.version).toBe(added.version + 1);
      const again = await call('get', { cart_id: id, caller: who });
      expect(again.messages).toEqual([]);
      expect(again.version).toBe(c.version);
    });

    it('flags a line that went out of stock (available 0), lowers one above availability, and blocks checkout', async () => {
      const { who, id } = await newCart('oos');
      const gone = variantOf(pegasus, '12', 'Black');
      const fewer = variantOf(pegasus, '12', 'Blue');
      await call('addLine', { cart_id: id, caller: who, product_id: pegasus.id, variant_id: gone.id, quantity: 1 });
      await call('addLine', { cart_id: id, caller: who, product_id: pegasus.id, variant_id: fewer.id, quantity: 4 });
      await cart.runtime.bus.call(catalogApi.updateVariant, { variant_id: gone.id, stock: 0 });
      await cart.runtime.bus.call(catalogApi.updateVariant, { variant_id: fewer.id, stock: 2 });
      const c = await call('get', { cart_id: id, caller: who });
      const goneLine = c.lines.find((l) => l.variant_id === gone.id)!;
      const fewerLine = c.lines.find((l) => l.variant_id === fewer.id)!;
      expect(goneLine).toMatchObject({ available: 0, quantity: 1 });
      expect(fewerLine).toMatchObject({ available: 2, quantity: 2 });
      expect(c.messages).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'out_of_stock', line_id: goneLine.id, available: 0 }),
          expect.objectContaining({ type: 'quantity_reduced', line_id: fewerLine.id, available: 2, message: expect.stringContaining('Only 2 left in size 12') }),
        ]),
      );
      expect(c.checkout.ready).toBe(false);
      const blocked = await refusal(call('startCheckout', { cart_id: id, caller: who }));
      expect(blocked.code).toBe('OUT_OF_STOCK');
      expect(blocked.message).toContain('Pegasus 41 Road Running Shoe (size 12, Black) is out of stock');
      const after = await call('removeLine', { cart_id: id, caller: who, line_id: goneLine.id });
      expect(after.messages).toEqual([]);
      expect((await call('startCheckout', { cart_id: id, caller: who })).checkout.started).toBe(true);
    });
  });

  describe('coupons', () => {
    it('refuses unknown, expired and below-minimum codes with a clear reason', async () => {
      const { who, id } = await newCart('coupon-refusals');
      await call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 1 });
      const below = await refusal(call('applyCoupon', { cart_id: id, caller: who, code: 'welcome10' }));
      expect(below).toMatchObject({ code: 'COUPON_INVALID' });
      expect(below.message).toContain('WELCOME10 needs a subtotal of at least $20.00');
      expect((await refusal(call('applyCoupon', { cart_id: id, caller: who, code: 'EXPIRED20' }))).message).toMatch(/EXPIRED20 expired on/);
      expect((await refusal(call('applyCoupon', { cart_id: id, caller: who, code: 'NOPE' }))).message).toBe('NOPE is not a valid coupon code.');
    });

    it('applies one coupon per cart (case-insensitive), and drops it with a message when the cart stops qualifying', async () => {
      const { who, id } = await newCart('coupon');
      await call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 3 });
      const c = await call('applyCoupon', { cart_id: id, caller: who, code: ' welcome10 ' });
      expect(c.coupon).toMatchObject({ code: 'WELCOME10', type: 'percentage', value: 10 });
      // 2997 − 300 = 2697 → shipping 599, tax round_half_up(2697 × 8.75 %) = 236.
      expect(c.totals).toMatchObject({ subtotal: 2997, discount: 300, shipping: 599, tax: 236, total: 2997 - 300 + 599 + 236 });
      expect((await refusal(call('applyCoupon', { cart_id: id, caller: who, code: 'SAVE5' }))).message).toContain('Only one coupon per cart');
      const line = c.lines[0];
      const dropped = await call('updateLine', { cart_id: id, caller: who, line_id: line.id, quantity: 1 });
      expect(dropped.coupon).toBeNull();
      expect(dropped.totals.discount).toBe(0);
      expect(dropped.messages).toEqual([expect.objectContaining({ type: 'coupon_removed', message: expect.stringContaining('WELCOME10') })]);
      const free = await call('applyCoupon', { cart_id: id, caller: who, code: 'FREESHIP' });
      expect(free.totals).toMatchObject({ subtotal: 999, shipping: 0, tax: 87, total: 1086 });
      const removed = await call('removeCoupon', { cart_id: id, caller: who });
      expect(removed.coupon).toBeNull();
      expect(removed.totals.shipping).toBe(599);
    });

    it('converts the cart on evt.order.confirmed without counting a coupon use (orders reserved it at placement)', async () => {
      const { who, id } = await newCart('usage');
      await call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 3 });
      await call('applyCoupon', { cart_id: id, caller: who, code: 'SAVE5' });
      const used = async () => (await cart.runtime.pool.query('select times_used from coupons where code = $1', ['SAVE5'])).rows[0].times_used as number;
      const before = await used();
      const orderId = randomUUID();
      const js = jetstream(cart.runtime.nc);
      const prefix = cart.runtime.config.NATS_PREFIX;
      const envelope = (eventId: string) =>
        JSON.stringify({ id: eventId, type: orderEvents.confirmed, occurred_at: new Date().toISOString(), data: { order_id: orderId, cart_id: id, coupon_code: 'SAVE5' } });
      const eventId = randomUUID();
      // The same event delivered twice, and a second event about the same order.
      await js.publish(prefix + orderEvents.confirmed, envelope(eventId), { msgID: randomUUID() });
      await js.publish(prefix + orderEvents.confirmed, envelope(eventId), { msgID: randomUUID() });
      await js.publish(prefix + orderEvents.confirmed, envelope(randomUUID()), { msgID: randomUUID() });
      await events.waitFor((e) => e.type === cartEvents.converted && e.data.cart_id === id);
      const deadline = Date.now() + 5_000;
      while ((await cart.runtime.pool.query('select count(*)::int as n from inbox')).rows[0].n < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await used()).toBe(before);
      const c = await call('get', { cart_id: id, caller: who });
      expect(c.status).toBe('converted');
      expect(c.coupon?.code).toBe('SAVE5');
    });
  });

  describe('checkout', () => {
    const address = { name: 'Ada Lovelace', line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'us' };

    it('refuses to start an empty cart', async () => {
      const { who, id } = await newCart('empty');
      const e = await refusal(call('startCheckout', { cart_id: id, caller: who }));
      expect(e).toMatchObject({ code: 'CART_EMPTY', message: 'Your cart is empty.' });
    });

    it('validates each step naming the field, tracks completed and missing steps, and bumps the version', async () => {
      const { who, id } = await newCart('checkout');
      await call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 6 });
      const bad = await refusal(call('updateCheckout', { cart_id: id, caller: who, shipping_address: { ...address, postal_code: 'ABC' } }));
      expect(bad.code).toBe('INVALID_INPUT');
      expect(bad.message).toContain('shipping_address.postal_code');
      const badState = await refusal(call('updateCheckout', { cart_id: id, caller: who, shipping_address: { ...address, state: 'ZZ' } }));
      expect(badState.message).toContain('shipping_address.state');
      const card = await refusal(call('updateCheckout', { cart_id: id, caller: who, payment_method_id: '4242424242424242' }));
      expect(card.message).toContain('payment_method_id');
      let c = await call('updateCheckout', { cart_id: id, caller: who, shipping_address: address });
      expect(c.checkout).toMatchObject({ completed_steps: ['shipping_address', 'billing_address'], missing_steps: ['shipping_method', 'payment_method', 'terms'], ready: false });
      expect(c.checkout.shipping_address?.country).toBe('US');
      const v = c.version;
      c = await call('updateCheckout', { cart_id: id, caller: who, shipping_method: 'express', payment_method_id: 'pm_demo_visa', accept_terms: true });
      expect(c.version).toBe(v + 1);
      expect(c.checkout).toMatchObject({ missing_steps: [], ready: true, shipping_method: 'express' });
      expect(c.totals).toMatchObject({ subtotal: 5994, shipping: 1299, shipping_is_estimate: false });
      // Every method priced for this cart (5994 of goods: standard is free), the chosen one as the totals charge it.
      expect(c.shipping_options.map((o) => [o.method, o.price])).toEqual([
        ['standard', 0],
        ['express', 1299],
      ]);
      expect(c.shipping_options.find((o) => o.method === c.totals.shipping_method)!.price).toBe(c.totals.shipping);
      expect(c.shipping_options[1].estimate.earliest < c.shipping_options[0].estimate.earliest).toBe(true);
      c = await call('startCheckout', { cart_id: id, caller: who });
      expect(c.checkout.started).toBe(true);
      expect(c.checkout.save_payment_method).toBe(false);
      c = await call('updateCheckout', { cart_id: id, caller: who, save_payment_method: true });
      expect(c.checkout).toMatchObject({ save_payment_method: true, ready: true, payment_method_id: 'pm_demo_visa' });
      expect((await call('get', { cart_id: id, caller: who })).checkout.save_payment_method).toBe(true);
      const notBool = await refusal(call('updateCheckout', { cart_id: id, caller: who, save_payment_method: 'yes' as never }));
      expect(notBool.message).toContain('save_payment_method');
    });

    it('converts once per order: idempotent, evt.cart.converted, then CART_NOT_ACTIVE and a new cart for the conversation', async () => {
      const { who, id } = await newCart('convert');
      await call('addLine', { cart_id: id, caller: who, product_id: mug.id, quantity: 2 });
      const orderId = randomUUID();
      const converted = await cart.runtime.bus.call(cartApi.convert, { cart_id: id, order_id: orderId });
      expect(converted.status).toBe('converted');
      expect((await cart.runtime.bus.call(cartApi.convert, { cart_id: id, order_id: orderId })).version).toBe(converted.version);
      expect((await refusal(cart.runtime.bus.call(cartApi.convert, { cart_id: id, order_id: randomUUID() }))).code).toBe('CART_NOT_ACTIVE');
      const evt = await events.waitFor((e) => e.type === cartEvents.converted && e.data.cart_id === id);
      expect(evt.data).toMatchObject({ order_id: orderId, item_count: 2, owner_subject: who.subject });
      expect(events.seen.filter((e) => e.type === cartEvents.converted && e.data.cart_id === id)).toHaveLength(1);
      expect((await refusal(call('addLine', { cart_id: id, caller: who, product_id: mug.id }))).code).toBe('CART_NOT_ACTIVE');
      expect((await refusal(call('updateCheckout', { cart_id: id, caller: who, accept_terms: true }))).code).toBe('CART_NOT_ACTIVE');
      const next = await call('resolve', { caller: who });
      expect(next.id).not.toBe(id);
      expect(next.status).toBe('active');
    });
  });

  describe('HTTP API', () => {
    it('serves the cart under /v1/carts with identity from headers', async () => {
      const who = shopper('http');
      const api = () => request(cart.httpUrl);
      const headers = { ...serviceHeaders, 'x-shopper-subject': who.subject, 'x-conversation-id': who.conversation };
      const created = await api().post('/v1/carts').set(headers).send({});
      expect(created.status).toBe(200);
      const id = created.body.id as string;
      expect(created.body.owner_subject).toBe(who.subject);
      const added = await api().post(`/v1/carts/${id}/lines`).set(headers).send({ product_id: mug.id, quantity: 3 });
      expect(added.status).toBe(200);
      expect(added.body.totals.total).toBe(3858);
      const lineId = added.body.lines[0].id;
      const patched = await api().patch(`/v1/carts/${id}/lines/${lineId}`).set(headers).send({ quantity: 6 });
      expect(patched.body.lines[0].quantity).toBe(6);
      const coupon = await api().post(`/v1/carts/${id}/coupon`).set(headers).send({ code: 'save5' });
      expect(coupon.body.totals.discount).toBe(500);
      expect((await api().delete(`/v1/carts/${id}/coupon`).set(headers)).body.coupon).toBeNull();
      const checkout = await api().patch(`/v1/carts/${id}/checkout`).set(headers).send({ shipping_method: 'standard' });
      expect(checkout.body.checkout.completed_steps).toEqual(['shipping_method']);
      const card = await api().patch(`/v1/carts/${id}/checkout`).set(headers).send({ card_number: '4242424242424242' });
      expect(card.status).toBe(400);
      expect(card.body.error.code).toBe('CARD_DATA_REFUSED');
      const started = await api().post(`/v1/carts/${id}/checkout`).set(headers);
      expect(started.body.checkout.started).toBe(true);
      expect((await api().get(`/v1/carts/${id}`).set(headers)).body.version).toBe(started.body.version);
      expect((await api().delete(`/v1/carts/${id}/lines/${lineId}`).set(headers)).body.lines).toEqual([]);
      expect((await api().delete(`/v1/carts/${id}/lines`).set(headers)).status).toBe(200);
    });

    it('answers bad input with INVALID_INPUT naming the field, and never a stack', async () => {
      const who = shopper('http-bad');
      const headers = { ...serviceHeaders, 'x-shopper-subject': who.subject, 'x-conversation-id': who.conversation };
      const id = (await request(cart.httpUrl).post('/v1/carts').set(headers).send({})).body.id;
      const bad = await request(cart.httpUrl).post(`/v1/carts/${id}/lines`).set(headers).send({ product_id: 'x', quantity: 0 });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('INVALID_INPUT');
      expect(bad.body.error.details.issues.map((i: { field: string }) => i.field)).toEqual(expect.arrayContaining(['product_id', 'quantity']));
      const spoof = await request(cart.httpUrl).get(`/v1/carts/${id}`).set(serviceHeaders).set('x-shopper-subject', 'other');
      expect(spoof.status).toBe(403);
      const broken = await request(cart.httpUrl).post(`/v1/carts/${id}/lines`).set(headers).set('content-type', 'application/json').send('{"product_id":');
      expect(broken.status).toBe(400);
      expect(JSON.stringify(broken.body)).not.toContain('at ');
      expect((await request(cart.httpUrl).get('/v1/carts/nope').set(headers)).body.error.code).toBe('INVALID_INPUT');
    });

    it('every route but the OpenAPI document needs a credential; convert an admin one', async () => {
      const { checked, problems } = await httpBoundaryProblems(cart.httpUrl, { public: ['GET /v1/openapi.json'], admin: ['POST /v1/carts/:id/convert'] });
      expect(problems).toEqual([]);
      expect(checked.length).toBeGreaterThanOrEqual(12);
    });

    it("a stranger cannot read or wipe a shopper's cart: no token, a wrong one, or the service token on convert", async () => {
      const who = shopper('http-victim');
      const headers = { ...serviceHeaders, 'x-shopper-subject': who.subject, 'x-conversation-id': who.conversation };
      const id = (await request(cart.httpUrl).post('/v1/carts').set(headers).send({})).body.id as string;
      await request(cart.httpUrl).post(`/v1/carts/${id}/lines`).set(headers).send({ product_id: mug.id, quantity: 1 }).expect(200);
      const identity = { 'x-shopper-subject': who.subject, 'x-conversation-id': who.conversation };
      const read = await request(cart.httpUrl).get(`/v1/carts/${id}`).set(identity);
      expect([read.status, read.body.error.code, read.headers['www-authenticate']]).toEqual([401, 'UNAUTHENTICATED', 'Bearer realm="cart"']);
      expect(JSON.stringify(read.body)).not.toContain(who.subject);
      const convert = { order_id: randomUUID() };
      const wrong = await request(cart.httpUrl).post(`/v1/carts/${id}/convert`).set({ authorization: 'Bearer guessed' }).send(convert);
      expect([wrong.status, wrong.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
      const asService = await request(cart.httpUrl).post(`/v1/carts/${id}/convert`).set(headers).send(convert);
      expect([asService.status, asService.body.error.code]).toEqual([403, 'FORBIDDEN']);
      // The blind cross-site form post of the attack: text/plain, a foreign Origin.
      const port = new URL(cart.httpUrl).port;
      const forged = await rawRequest(`${cart.httpUrl}/v1/carts/${id}/convert`, { method: 'POST', headers: { ...adminHeaders, origin: 'https://attacker.example', 'content-type': 'text/plain' }, body: JSON.stringify(convert) });
      expect([forged.status, JSON.parse(forged.text).error.code]).toEqual([403, 'FORBIDDEN']);
      const rebound = await rawRequest(`${cart.httpUrl}/v1/carts/${id}`, { headers: { ...headers, host: `attacker.example:${port}` } });
      expect(rebound.status).toBe(403);
      const after = await request(cart.httpUrl).get(`/v1/carts/${id}`).set(headers);
      expect([after.body.status, after.body.lines.length]).toEqual(['active', 1]);
      expect((await rawRequest(`${cart.httpUrl}/readyz`, { headers: { host: 'cart' } })).status).toBe(200);
    });

    it('publishes an OpenAPI document generated from the contracts', async () => {
      const res = await request(cart.httpUrl).get('/v1/openapi.json');
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.paths)).toEqual(
        expect.arrayContaining(['/v1/carts', '/v1/carts/{id}', '/v1/carts/{id}/lines', '/v1/carts/{id}/lines/{lineId}', '/v1/carts/{id}/coupon', '/v1/carts/{id}/checkout']),
      );
      expect(res.body.paths['/v1/carts/{id}/lines'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('quantity');
      expect((await request(cart.httpUrl).get('/readyz')).status).toBe(200);
    });
  });
});
