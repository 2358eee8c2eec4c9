import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { AppError, cartApi, type Cart, type ProductDetail } from '@shop/contracts';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start as startCatalog } from '@shop/catalog';
import { start as startCart } from '../src/main.js';
import { productByName, refusal, shopper } from './helpers.js';

describe('coupon reservations at placement (real Postgres, NATS and catalog)', () => {
  let catalogDb: Awaited<ReturnType<typeof freshDatabase>>;
  let cartDb: Awaited<ReturnType<typeof freshDatabase>>;
  let catalog: Awaited<ReturnType<typeof startCatalog>>;
  let cart: Awaited<ReturnType<typeof startCart>>;
  let mug: ProductDetail;

  beforeAll(async () => {
    const prefix = freshPrefix();
    [catalogDb, cartDb] = await Promise.all([freshDatabase('coupres_catalog'), freshDatabase('coupres')]);
    catalog = await startCatalog(testEnv(catalogDb.url, prefix));
    cart = await startCart(testEnv(cartDb.url, prefix));
    mug = await productByName(cart.runtime, 'Classic Ceramic Coffee Mug');
  });

  afterAll(async () => {
    await cart?.stop();
    await catalog?.stop();
    await Promise.all([cartDb?.drop(), catalogDb?.drop()]);
  });

  const bus = () => cart.runtime.bus;
  const sql = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) => (await cart.runtime.pool.query(text, values)).rows as T[];
  const reserve = (order_id: string, cart_id: string, code: string) => bus().call(cartApi.reserveCoupon, { order_id, cart_id, code });
  const release = (order_id: string) => bus().call(cartApi.releaseCoupon, { order_id });
  const timesUsed = async (code: string) => (await sql<{ times_used: number }>('select times_used from coupons where code = $1', [code]))[0]!.times_used;
  const held = async (code: string) =>
    (await sql<{ n: number }>('select count(*)::int as n from coupon_reservations where code = $1 and released_at is null', [code]))[0]!.n;

  /** A fresh coupon of its own per test, so the counters of tests never mix. */
  async function coupon(opts: { limit: number | null; active?: boolean; validUntil?: Date }): Promise<string> {
    const code = `T${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
    await sql(
      `insert into coupons (code, type, value, min_subtotal, usage_limit, active, valid_until, description)
       values ($1, 'fixed', 100, 0, $2, $3, $4, '$1.00 off (test)')`,
      [code, opts.limit, opts.active ?? true, opts.validUntil ?? null],
    );
    return code;
  }

  /** A cart with a mug and the coupon applied through the cart's own API. */
  async function cartWith(code: string | null): Promise<{ id: string; who: ReturnType<typeof shopper> }> {
    const who = shopper('coupres');
    const c = await bus().call(cartApi.resolve, { caller: who });
    await bus().call(cartApi.addLine, { cart_id: c.id, caller: who, product_id: mug.id, quantity: 1 });
    if (code) await bus().call(cartApi.applyCoupon, { cart_id: c.id, caller: who, code });
    return { id: c.id, who };
  }

  const view = (c: { id: string; who: ReturnType<typeof shopper> }): Promise<Cart> => bus().call(cartApi.get, { cart_id: c.id, caller: c.who });

  it('10 orders reserving a coupon limited to 2 at once: exactly 2 reserved, 8 COUPON_LIMIT_REACHED naming it, times_used = 2', async () => {
    const code = await coupon({ limit: 2 });
    const carts = await Promise.all(Array.from({ length: 10 }, () => cartWith(code)));
    const outcomes = await Promise.allSettled(carts.map((c) => reserve(randomUUID(), c.id, code)));
    const won = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as AppError] : []));
    expect(won).toHaveLength(2);
    expect(won.map((w) => w.times_used).sort()).toEqual([1, 2]);
    expect(won.every((w) => w.reserved === true && w.usage_limit === 2)).toBe(true);
    expect(lost).toHaveLength(8);
    for (const e of lost) {
      expect(e).toBeInstanceOf(AppError);
      expect(e.code).toBe('COUPON_LIMIT_REACHED');
      expect(e.message).toBe(`${code} has reached its usage limit. Remove it from your cart to place the order without it.`);
      expect(e.details).toEqual({ code });
    }
    expect(await timesUsed(code)).toBe(2);
    expect(await held(code)).toBe(2);
    // A refused order holds nothing: no row was left behind for it.
    expect((await sql<{ n: number }>('select count(*)::int as n from coupon_reservations where code = $1', [code]))[0]!.n).toBe(2);
  });

  it('the same order id reserving again (one after another and at once) gets the same answer and counts once', async () => {
    const code = await coupon({ limit: 5 });
    const c = await cartWith(code);
    const order = randomUUID();
    const first = await reserve(order, c.id, code);
    expect(first).toEqual({ reserved: true, times_used: 1, usage_limit: 5 });
    expect(await reserve(order, c.id, code.toLowerCase())).toEqual(first);
    const again = await Promise.all(Array.from({ length: 8 }, () => reserve(order, c.id, code)));
    expect(again).toEqual(Array(8).fill(first));
    expect(await timesUsed(code)).toBe(1);

    // A brand-new order id reserving concurrently with itself counts once too.
    const other = await cartWith(code);
    const fresh = randomUUID();
    const racing = await Promise.all(Array.from({ length: 8 }, () => reserve(fresh, other.id, code)));
    expect(new Set(racing.map((r) => r.times_used))).toEqual(new Set([2]));
    expect(await timesUsed(code)).toBe(2);

    // The same order id for another coupon or cart is a conflict, not a second use.
    const elsewhere = await cartWith(code);
    const conflict = await refusal(reserve(order, elsewhere.id, code));
    expect(conflict.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(conflict.message).toContain(order);
    expect(await timesUsed(code)).toBe(2);
  });

  it('release gives the use back once; then a new order can take it; a released order id cannot reserve again', async () => {
    const code = await coupon({ limit: 1 });
    const [a, b] = await Promise.all([cartWith(code), cartWith(code)]);
    const orderA = randomUUID();
    await reserve(orderA, a.id, code);
    expect((await refusal(reserve(randomUUID(), b.id, code))).code).toBe('COUPON_LIMIT_REACHED');

    const releases = await Promise.all(Array.from({ length: 5 }, () => release(orderA)));
    expect(releases.filter((r) => r.released)).toHaveLength(1);
    expect(await release(orderA)).toEqual({ released: false });
    expect(await timesUsed(code)).toBe(0);

    const orderB = randomUUID();
    expect(await reserve(orderB, b.id, code)).toEqual({ reserved: true, times_used: 1, usage_limit: 1 });
    expect(await timesUsed(code)).toBe(1);

    const reused = await refusal(reserve(orderA, a.id, code));
    expect(reused.code).toBe('INVALID_TRANSITION');
    expect(await timesUsed(code)).toBe(1);
  });

  it('a release that arrives before its reservation (a timed-out call) makes the late reservation count nothing', async () => {
    const code = await coupon({ limit: 3 });
    const c = await cartWith(code);
    const order = randomUUID();
    expect(await release(order)).toEqual({ released: false });
    expect((await refusal(reserve(order, c.id, code))).code).toBe('INVALID_TRANSITION');
    expect(await timesUsed(code)).toBe(0);
    expect(await release(order)).toEqual({ released: false });
  });

  it('refuses expired, inactive and unknown coupons with the read path’s reasons, and a code that is not the cart’s', async () => {
    const live = await coupon({ limit: null });
    const c = await cartWith(live);
    const expired = await coupon({ limit: null, validUntil: new Date('2025-01-01T00:00:00Z') });
    await sql('update carts set coupon_code = $2 where id = $1', [c.id, expired]);
    const e1 = await refusal(reserve(randomUUID(), c.id, expired));
    expect(e1).toMatchObject({ code: 'COUPON_INVALID', message: `${expired} expired on Jan 1, 2025.` });

    const inactive = await coupon({ limit: null, active: false });
    await sql('update carts set coupon_code = $2 where id = $1', [c.id, inactive]);
    expect(await refusal(reserve(randomUUID(), c.id, inactive))).toMatchObject({ code: 'COUPON_INVALID', message: `${inactive} is no longer active.` });
    expect(await refusal(reserve(randomUUID(), c.id, 'NOSUCHCODE'))).toMatchObject({ code: 'COUPON_INVALID', message: 'NOSUCHCODE is not a valid coupon code.' });

    await sql('update carts set coupon_code = $2 where id = $1', [c.id, live]);
    const other = await coupon({ limit: null });
    const changed = await refusal(reserve(randomUUID(), c.id, other));
    expect(changed.code).toBe('CART_CHANGED');
    expect(changed.message).toContain(live);
    expect(await refusal(reserve(randomUUID(), '0'.repeat(32), live))).toMatchObject({ code: 'CART_NOT_FOUND' });
    for (const code of [expired, inactive, other, live]) expect(await timesUsed(code)).toBe(0);
  });

  it('refuses malformed requests naming the field', async () => {
    const bad = await refusal(bus().call(cartApi.reserveCoupon, { order_id: 'order-1', cart_id: '0'.repeat(32), code: 'X' }));
    expect(bad.code).toBe('INVALID_INPUT');
    expect(bad.message).toContain('order_id');
    expect((await refusal(bus().call(cartApi.releaseCoupon, { order_id: 'nope' }))).message).toContain('order_id');
  });

  it('the cart holding the last use keeps its coupon; other carts see it dropped until the use is released', async () => {
    const code = await coupon({ limit: 1 });
    const [holder, other] = await Promise.all([cartWith(code), cartWith(code)]);
    const order = randomUUID();
    await reserve(order, holder.id, code);

    const mine = await view(holder);
    expect(mine.coupon?.code).toBe(code);
    expect(mine.totals.discount).toBe(100);
    expect(mine.messages).toEqual([]);

    const theirs = await view(other);
    expect(theirs.coupon).toBeNull();
    expect(theirs.messages).toEqual([expect.objectContaining({ type: 'coupon_removed', message: `Coupon ${code} was removed: ${code} has reached its usage limit.` })]);
    const applied = await refusal(bus().call(cartApi.applyCoupon, { cart_id: other.id, caller: other.who, code }));
    expect(applied).toMatchObject({ code: 'COUPON_INVALID', message: `${code} has reached its usage limit.` });

    await release(order);
    const back = await bus().call(cartApi.applyCoupon, { cart_id: other.id, caller: other.who, code });
    expect(back.coupon?.code).toBe(code);
  });
});
