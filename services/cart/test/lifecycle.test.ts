import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cartApi, cartEvents } from '@shop/contracts';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start as startCart } from '../src/main.js';
import { loadCartConfig, idleSeconds } from '../src/config.js';
import { recordEvents, refusal, shopper } from './helpers.js';

describe('idle carts', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let cart: Awaited<ReturnType<typeof startCart>>;
  let events: Awaited<ReturnType<typeof recordEvents>>;

  beforeAll(async () => {
    db = await freshDatabase('cart_idle');
    cart = await startCart(testEnv(db.url, freshPrefix(), { CART_IDLE_SECONDS: '1', CART_SWEEP_INTERVAL_MS: '200' }));
    events = await recordEvents(cart.runtime, [cartEvents.abandoned]);
  });
  afterAll(async () => {
    await events?.stop();
    await cart?.stop();
    await db?.drop();
  });

  it('reads CART_IDLE_HOURS (fractions allowed) and lets CART_IDLE_SECONDS override it', () => {
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/db' };
    expect(idleSeconds(loadCartConfig(base))).toBe(24 * 3600);
    expect(idleSeconds(loadCartConfig({ ...base, CART_IDLE_HOURS: '0.5' }))).toBe(1800);
    expect(idleSeconds(loadCartConfig({ ...base, CART_IDLE_HOURS: '2', CART_IDLE_SECONDS: '5' }))).toBe(5);
    expect(() => loadCartConfig({ ...base, CART_IDLE_HOURS: '0' })).toThrow(/CART_IDLE_HOURS/);
    expect(loadCartConfig(base).HTTP_PORT).toBe(4102);
  });

  it('abandons a cart left idle, publishes evt.cart.abandoned, refuses changes and starts a new cart for the conversation', async () => {
    const who = shopper('idle');
    const first = await cart.runtime.bus.call(cartApi.resolve, { caller: who });
    const evt = await events.waitFor((e) => e.data.cart_id === first.id);
    expect(evt).toMatchObject({ type: cartEvents.abandoned, data: { cart_id: first.id, owner_subject: who.subject, conversation: who.conversation, item_count: 0 } });
    const seen = await cart.runtime.bus.call(cartApi.get, { cart_id: first.id, caller: who });
    expect(seen.status).toBe('abandoned');
    const e = await refusal(cart.runtime.bus.call(cartApi.applyCoupon, { cart_id: first.id, caller: who, code: 'FREESHIP' }));
    expect(e.code).toBe('CART_NOT_ACTIVE');
    const next = await cart.runtime.bus.call(cartApi.resolve, { caller: who });
    expect(next.id).not.toBe(first.id);
    expect(next.status).toBe('active');
  });

  it('keeps a cart that changes within the idle time', async () => {
    const who = shopper('busy');
    const c = await cart.runtime.bus.call(cartApi.resolve, { caller: who });
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 400));
      await cart.runtime.bus.call(cartApi.updateCheckout, { cart_id: c.id, caller: who, shipping_method: i % 2 ? 'standard' : 'express' });
    }
    expect((await cart.runtime.bus.call(cartApi.get, { cart_id: c.id, caller: who })).status).toBe('active');
  });
});
