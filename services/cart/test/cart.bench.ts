// Latency and throughput of the cart's hot paths over NATS, against real Postgres, NATS and
// the real catalog service. Run: npx vitest bench --run services/cart
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { cartApi, catalogApi } from '@shop/contracts';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start as startCatalog } from '@shop/catalog';
import { start as startCart } from '../src/main.js';
import { productByName, shopper } from './helpers.js';

let catalogDb: Awaited<ReturnType<typeof freshDatabase>>;
let cartDb: Awaited<ReturnType<typeof freshDatabase>>;
let catalog: Awaited<ReturnType<typeof startCatalog>>;
let cart: Awaited<ReturnType<typeof startCart>>;
let who: ReturnType<typeof shopper>;
let fullCartId: string;
let mugId: string;
let scratchCartId: string;
let variantIds: string[];

beforeAll(async () => {
  const prefix = freshPrefix();
  [catalogDb, cartDb] = await Promise.all([freshDatabase('bench_catalog'), freshDatabase('bench_cart')]);
  catalog = await startCatalog(testEnv(catalogDb.url, prefix));
  cart = await startCart(testEnv(cartDb.url, prefix));
  who = shopper('bench');
  const mug = await productByName(cart.runtime, 'Classic Ceramic Coffee Mug');
  const shoe = await productByName(cart.runtime, 'Pegasus 41 Road Running Shoe');
  mugId = mug.id;
  fullCartId = (await cart.runtime.bus.call(cartApi.resolve, { caller: who })).id;
  // A realistic cart: 10 lines to re-price on every read.
  for (const v of shoe.variants.slice(0, 9)) await cart.runtime.bus.call(cartApi.addLine, { cart_id: fullCartId, caller: who, product_id: shoe.id, variant_id: v.id });
  await cart.runtime.bus.call(cartApi.addLine, { cart_id: fullCartId, caller: who, product_id: mug.id });
  variantIds = (await cart.runtime.bus.call(cartApi.get, { cart_id: fullCartId, caller: who })).lines.map((l) => l.variant_id);
  scratchCartId = (await cart.runtime.bus.call(cartApi.resolve, { caller: { subject: who.subject, conversation: `${who.conversation}-2` } })).id;
});

afterAll(async () => {
  await cart?.stop();
  await catalog?.stop();
  await Promise.all([cartDb?.drop(), catalogDb?.drop()]);
});

describe('cart over NATS', () => {
  // Baseline: the one catalog call every cart read makes.
  bench('catalog.variants.lookup (10 ids, baseline)', async () => {
    await cart.runtime.bus.call(catalogApi.lookupVariants, { variant_ids: variantIds });
  }, { time: 3000 });

  bench('cart.carts.get (10 lines, re-priced)', async () => {
    await cart.runtime.bus.call(cartApi.get, { cart_id: fullCartId, caller: who });
  }, { time: 3000 });

  bench('cart.carts.resolve (existing conversation)', async () => {
    await cart.runtime.bus.call(cartApi.resolve, { caller: who });
  }, { time: 3000 });

  bench('cart.lines.add + update back (validated against the catalog)', async () => {
    const c = await cart.runtime.bus.call(cartApi.addLine, { cart_id: scratchCartId, caller: who, product_id: mugId });
    await cart.runtime.bus.call(cartApi.updateLine, { cart_id: scratchCartId, caller: who, line_id: c.lines[0].id, quantity: 1 });
  }, { time: 3000 });

  bench('10 concurrent cart.carts.get', async () => {
    await Promise.all(Array.from({ length: 10 }, () => cart.runtime.bus.call(cartApi.get, { cart_id: fullCartId, caller: who })));
  }, { time: 3000 });
});
