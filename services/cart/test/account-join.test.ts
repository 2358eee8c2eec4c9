import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Cart, cartApi, type Caller, type ProductDetail } from '@shop/contracts';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start as startCatalog } from '@shop/catalog';
import { start as startCart } from '../src/main.js';
import { productByName, refusal } from './helpers.js';

type Running = Awaited<ReturnType<typeof startCart>>;

/**
 * On the first signed-in call in a conversation its anonymous cart joins the account
 * (docs/DECISIONS.md "An anonymous cart joins the account"), against real PostgreSQL, NATS and
 * catalog. Subjects are account ids, as the gateway sends them from a verified token.
 */
describe('an anonymous cart joins the account on sign-in', () => {
  let catalogDb: Awaited<ReturnType<typeof freshDatabase>>;
  let cartDb: Awaited<ReturnType<typeof freshDatabase>>;
  let catalog: Awaited<ReturnType<typeof startCatalog>>;
  let cart: Running;
  let mug: ProductDetail;
  let shoe: ProductDetail;
  const address = { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'Portland', state: 'OR', postal_code: '97201', country: 'US' };

  const call = <K extends keyof typeof cartApi>(k: K, req: Parameters<Running['runtime']['bus']['call']>[1]) => cart.runtime.bus.call(cartApi[k], req as never) as Promise<Cart>;
  const guestCart = async (conversation: string, items: Array<[ProductDetail, number]>) => {
    const c = await call('resolve', { caller: { conversation } });
    for (const [p, quantity] of items) await call('addLine', { cart_id: c.id, caller: { conversation }, product_id: p.id, variant_id: p.variants.find((v) => v.available > 5)!.id, quantity });
    return c.id;
  };
  const qty = (c: Cart) => Object.fromEntries(c.lines.map((l) => [l.name, l.quantity]));
  const row = async (id: string) =>
    (await cart.runtime.pool.query('select status, owner_subject, merged_into, (select count(*)::int from cart_lines where cart_id = carts.id) as lines from carts where id = $1', [id])).rows[0];
  const openCarts = async (subject: string) => (await cart.runtime.pool.query("select id from carts where owner_subject = $1 and status = 'active'", [subject])).rows.map((r) => r.id);

  beforeAll(async () => {
    const prefix = freshPrefix();
    [catalogDb, cartDb] = await Promise.all([freshDatabase('join_catalog'), freshDatabase('join_cart')]);
    catalog = await startCatalog(testEnv(catalogDb.url, prefix));
    cart = await startCart(testEnv(cartDb.url, prefix));
    [mug, shoe] = await Promise.all(['Classic Ceramic Coffee Mug', 'Pegasus 41 Road Running Shoe'].map((n) => productByName(cart.runtime, n)));
  });
  afterAll(async () => {
    await cart?.stop();
    await catalog?.stop();
    await Promise.all([cartDb?.drop(), catalogDb?.drop()]);
  });

  it("becomes the account's cart when the account has none; then no guest and no other account reaches it", async () => {
    const conversation = `conv-${randomUUID()}`;
    const id = await guestCart(conversation, [[mug, 2]]);
    const alice = { subject: randomUUID(), conversation };
    const joined = await call('resolve', { caller: alice });
    expect(joined).toMatchObject({ id, owner_subject: alice.subject, status: 'active' });
    expect(qty(joined)).toEqual({ 'Classic Ceramic Coffee Mug': 2 });
    // In another conversation the account finds the same cart (its open cart).
    expect((await call('resolve', { caller: { subject: alice.subject, conversation: `elsewhere-${randomUUID()}` } })).id).toBe(id);
    expect((await call('resolve', { caller: { subject: alice.subject } })).id).toBe(id);

    const bob = { subject: randomUUID() };
    for (const attempt of [
      () => call('resolve', { caller: { conversation } }),
      () => call('peek', { caller: { conversation } }),
      () => call('get', { cart_id: id, caller: {} }),
      () => call('get', { cart_id: id, caller: { conversation } }),
      () => call('resolve', { caller: { ...bob, conversation } }),
      () => call('get', { cart_id: id, caller: bob }),
      () => call('addLine', { cart_id: id, caller: { conversation }, product_id: mug.id }),
    ]) {
      expect((await refusal(attempt())).code).toBe('CART_FORBIDDEN');
    }
  });

  it("merges into the account's open cart: quantities summed, the account's coupon kept, the checkout just begun carried over; the emptied cart is merged", async () => {
    const alice = randomUUID();
    const first = `conv-${randomUUID()}`;
    const accountCart = await call('resolve', { caller: { subject: alice, conversation: first } });
    await call('addLine', { cart_id: accountCart.id, caller: { subject: alice }, product_id: mug.id, quantity: 3 });
    await call('applyCoupon', { cart_id: accountCart.id, caller: { subject: alice }, code: 'SAVE5' });

    // Later, signed out, in another conversation: a guest cart with a coupon and checkout details.
    const second = `conv-${randomUUID()}`;
    const guestId = await guestCart(second, [
      [mug, 2],
      [shoe, 1],
    ]);
    await call('applyCoupon', { cart_id: guestId, caller: { conversation: second }, code: 'WELCOME10' });
    await call('updateCheckout', { cart_id: guestId, caller: { conversation: second }, shipping_address: address, shipping_method: 'express' });

    const joined = await call('resolve', { caller: { subject: alice, conversation: second } });
    expect(joined.id).toBe(accountCart.id);
    expect(qty(joined)).toEqual({ 'Classic Ceramic Coffee Mug': 5, 'Pegasus 41 Road Running Shoe': 1 });
    expect(joined.coupon?.code).toBe('SAVE5');
    expect(joined.checkout).toMatchObject({ shipping_address: expect.objectContaining({ line1: '1 Analytical Way' }), shipping_method: 'express' });
    expect(await row(guestId)).toEqual({ status: 'merged', owner_subject: alice, merged_into: accountCart.id, lines: 0 });
    expect(await openCarts(alice)).toEqual([accountCart.id]);

    // The conversation now resolves to the account's cart; the old cart id leads there too, for the account only.
    expect((await call('resolve', { caller: { subject: alice, conversation: second } })).id).toBe(accountCart.id);
    expect((await call('resolve', { cart_id: guestId, caller: { subject: alice } })).id).toBe(accountCart.id);
    expect((await refusal(call('resolve', { cart_id: guestId, caller: { conversation: second } }))).code).toBe('CART_FORBIDDEN');
    expect((await refusal(call('addLine', { cart_id: guestId, caller: { subject: alice }, product_id: mug.id }))).code).toBe('CART_NOT_ACTIVE');
    // A guest in that conversation afterwards starts afresh.
    const fresh = await call('resolve', { caller: { conversation: second } });
    expect(fresh.id).not.toBe(guestId);
    expect(fresh.lines).toEqual([]);
    expect(fresh.owner_subject).toBeNull();
  });

  it("takes the conversation cart's coupon when the account cart has none", async () => {
    const alice = randomUUID();
    const mine = await call('resolve', { caller: { subject: alice, conversation: `conv-${randomUUID()}` } });
    await call('addLine', { cart_id: mine.id, caller: { subject: alice }, product_id: shoe.id, variant_id: shoe.variants.find((v) => v.available > 5)!.id, quantity: 1 });
    const conversation = `conv-${randomUUID()}`;
    const guestId = await guestCart(conversation, [[mug, 3]]);
    await call('applyCoupon', { cart_id: guestId, caller: { conversation }, code: 'WELCOME10' });
    const joined = await call('resolve', { caller: { subject: alice, conversation } });
    expect(joined.id).toBe(mine.id);
    expect(joined.coupon?.code).toBe('WELCOME10');
    expect(joined.checkout.shipping_address).toBeNull();
  });

  it('peek joins as resolve does, and writes nothing for an account with no cart', async () => {
    const conversation = `conv-${randomUUID()}`;
    const guestId = await guestCart(conversation, [[mug, 1]]);
    const alice = randomUUID();
    const peeked = await call('peek', { caller: { subject: alice, conversation } });
    expect(peeked).toMatchObject({ id: guestId, owner_subject: alice });
    const nobody = randomUUID();
    const before = (await cart.runtime.pool.query('select count(*)::int as n from carts')).rows[0].n;
    expect((await call('peek', { caller: { subject: nobody, conversation: `conv-${randomUUID()}` } })).id).toBeNull();
    expect((await cart.runtime.pool.query('select count(*)::int as n from carts')).rows[0].n).toBe(before);
  });

  it('two conversations joining one account at once end in one open cart holding both', async () => {
    const alice = randomUUID();
    const [c1, c2] = [`conv-${randomUUID()}`, `conv-${randomUUID()}`];
    const [g1, g2] = await Promise.all([guestCart(c1, [[mug, 1]]), guestCart(c2, [[mug, 2], [shoe, 1]])]);
    const [r1, r2] = await Promise.all([call('resolve', { caller: { subject: alice, conversation: c1 } }), call('resolve', { caller: { subject: alice, conversation: c2 } })]);
    expect(r1.id).toBe(r2.id);
    const open = await openCarts(alice);
    expect(open).toEqual([r1.id]);
    const merged = open[0] === g1 ? g2 : g1;
    expect(await row(merged)).toMatchObject({ status: 'merged', merged_into: open[0], lines: 0 });
    expect(qty(await call('get', { cart_id: open[0], caller: { subject: alice } }))).toEqual({ 'Classic Ceramic Coffee Mug': 3, 'Pegasus 41 Road Running Shoe': 1 });
  });

  it('the same conversation joining concurrently joins once: same cart, lines unchanged', async () => {
    const conversation = `conv-${randomUUID()}`;
    const guestId = await guestCart(conversation, [[mug, 2]]);
    const alice: Caller = { subject: randomUUID(), conversation };
    const all = await Promise.all(Array.from({ length: 6 }, (_, i) => call(i % 2 ? 'peek' : 'resolve', { caller: alice })));
    expect(new Set(all.map((c) => c.id))).toEqual(new Set([guestId]));
    expect(qty(await call('get', { cart_id: guestId, caller: alice }))).toEqual({ 'Classic Ceramic Coffee Mug': 2 });
    expect(await openCarts(alice.subject!)).toEqual([guestId]);
  });

  it('an account signing in concurrently with a guest call creating the cart of the conversation still gets one cart', async () => {
    const conversation = `conv-${randomUUID()}`;
    const alice = randomUUID();
    const [account, guest] = await Promise.allSettled([call('resolve', { caller: { subject: alice, conversation } }), call('resolve', { caller: { conversation } })]);
    expect(account.status).toBe('fulfilled');
    // Either the guest cart was made first and joined (the guest then meets the account's cart), or the account's cart came first.
    if (guest.status === 'fulfilled') expect([null, alice]).toContain(guest.value.owner_subject);
    else expect((guest.reason as { code: string }).code).toBe('CART_FORBIDDEN');
    expect((await openCarts(alice)).length).toBe(1);
  });
});
