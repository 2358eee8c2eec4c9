import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import { cartApi, catalogApi, type Cart, type ProductDetail } from '@shop/contracts';
import { metrics } from '@shop/kit';
import { eventually, freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start as startCatalog } from '@shop/catalog';
import { start as startCart } from '../src/main.js';
import { productByName, shopper } from './helpers.js';

// A TTL far longer than any wait below: whatever the cart learns sooner, it learns from events.
let prefix: string;
let catalogDb: Awaited<ReturnType<typeof freshDatabase>>;
let cartDb: Awaited<ReturnType<typeof freshDatabase>>;
let catalog: Awaited<ReturnType<typeof startCatalog>>;
let cart: Awaited<ReturnType<typeof startCart>>;
let mug: ProductDetail;
let asked: Subscription[] = [];
let catalogRequests = 0;

beforeAll(async () => {
  prefix = freshPrefix();
  [catalogDb, cartDb] = await Promise.all([freshDatabase('cache_catalog'), freshDatabase('cache_cart')]);
  catalog = await startCatalog(testEnv(catalogDb.url, prefix));
  cart = await startCart(testEnv(cartDb.url, prefix, { CART_CATALOG_CACHE_MS: '60000' }));
  mug = await productByName(cart.runtime, 'Classic Ceramic Coffee Mug');
  // Every request the cart sends to catalog for variants, seen beside catalog's own queue group.
  asked = [catalogApi.variants, catalogApi.lookupVariants].map((ep) => cart.runtime.nc.subscribe(prefix + ep.subject, { callback: () => catalogRequests++ }));
  await cart.runtime.nc.flush();
});
afterAll(async () => {
  for (const sub of asked) sub.unsubscribe();
  await cart?.stop();
  await catalog?.stop();
  await Promise.all([cartDb?.drop(), catalogDb?.drop()]);
});

const call = <K extends keyof typeof cartApi>(k: K, req: unknown) => cart.runtime.bus.call(cartApi[k], req as never) as Promise<Cart>;
const requestsDuring = async (fn: () => Promise<unknown>) => {
  const before = catalogRequests;
  await fn();
  await cart.runtime.nc.flush();
  return catalogRequests - before;
};

it('adds and shows a product catalog answered for lately without asking again', async () => {
  const who = shopper('cache');
  const variant = mug.variants[0];
  expect(await requestsDuring(() => call('addToResolved', { caller: who, product_id: mug.id, variant_id: variant.id, quantity: 1 }))).toBe(1);
  const hits = metrics.catalogCache.cell('hit').n;
  expect(await requestsDuring(() => call('addToResolved', { caller: who, product_id: mug.id, variant_id: variant.id, quantity: 1 }))).toBe(0);
  expect(metrics.catalogCache.cell('hit').n).toBeGreaterThan(hits);
  const shown = await call('peek', { caller: who });
  expect(shown.lines[0]).toMatchObject({ variant_id: variant.id, quantity: 2, unit_price: variant.price });
  expect(await requestsDuring(() => call('peek', { caller: who }))).toBe(0);
});

it('takes an operator’s new price from its event at once, long before the TTL', async () => {
  const who = shopper('price');
  const variant = mug.variants[0];
  await call('addToResolved', { caller: who, product_id: mug.id, variant_id: variant.id, quantity: 1 });
  const newPrice = variant.price + 250;
  await catalog.runtime.bus.call(catalogApi.updateVariant, { variant_id: variant.id, price: newPrice });
  const shown = await eventually(() => call('peek', { caller: who }), (c) => c.lines[0].unit_price === newPrice, 3_000, 20);
  expect(shown.lines[0].unit_price).toBe(newPrice);
  expect(shown.messages.map((m) => m.type)).toContain('price_changed');
});

it('takes stock another order reserved from catalog’s inventory event', async () => {
  const who = shopper('stock');
  const variant = (await catalog.runtime.bus.call(catalogApi.get, { product_id: mug.id })).variants[0];
  await call('addToResolved', { caller: who, product_id: mug.id, variant_id: variant.id, quantity: 1 });
  expect((await call('peek', { caller: who })).lines[0].available).toBe(variant.available);
  await catalog.runtime.bus.call(catalogApi.reserve, { order_id: randomUUID(), lines: [{ variant_id: variant.id, quantity: 2 }] });
  const shown = await eventually(() => call('peek', { caller: who }), (c) => c.lines[0].available === variant.available - 2, 3_000, 20);
  expect(shown.lines[0].available).toBe(variant.available - 2);
});

it('prices the look before placement from catalog itself, every time', async () => {
  const who = shopper('fresh');
  const added = await call('addToResolved', { caller: who, product_id: mug.id, variant_id: mug.variants[0].id, quantity: 1 });
  expect(await requestsDuring(() => call('get', { caller: who, cart_id: added.id }))).toBe(1);
  expect(await requestsDuring(() => call('get', { caller: who, cart_id: added.id }))).toBe(1);
  expect(await requestsDuring(() => call('resolve', { caller: who, fresh: true }))).toBe(1);
  expect(await requestsDuring(() => call('resolve', { caller: who }))).toBe(0);
});
