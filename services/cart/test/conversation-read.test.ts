import { afterAll, beforeAll, expect, it } from 'vitest';
import { cartApi } from '@shop/contracts';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start as startCatalog } from '@shop/catalog';
import { findActiveByConversationWithLines, findCart, findLines } from '../src/db/carts.js';
import { start as startCart } from '../src/main.js';
import { productByName, shopper } from './helpers.js';

let catalogDb: Awaited<ReturnType<typeof freshDatabase>>;
let cartDb: Awaited<ReturnType<typeof freshDatabase>>;
let catalog: Awaited<ReturnType<typeof startCatalog>>;
let cart: Awaited<ReturnType<typeof startCart>>;

beforeAll(async () => {
  const prefix = freshPrefix();
  [catalogDb, cartDb] = await Promise.all([freshDatabase('convread_catalog'), freshDatabase('convread_cart')]);
  catalog = await startCatalog(testEnv(catalogDb.url, prefix));
  cart = await startCart(testEnv(cartDb.url, prefix));
});
afterAll(async () => {
  await cart?.stop();
  await catalog?.stop();
  await Promise.all([cartDb?.drop(), catalogDb?.drop()]);
});

it('reads a conversation’s cart and its lines in one statement exactly as the two plain reads do', async () => {
  const who = shopper('one-read');
  const pool = cart.runtime.pool;
  expect(await findActiveByConversationWithLines(pool, who.conversation)).toBeNull();
  const [mug, shoe] = await Promise.all(['Classic Ceramic Coffee Mug', 'Pegasus 41 Road Running Shoe'].map((n) => productByName(cart.runtime, n)));
  let id = '';
  for (const [product, variant] of [[mug, mug.variants[0]], [shoe, shoe.variants[0]], [shoe, shoe.variants[1]]] as const) {
    id = (await cart.runtime.bus.call(cartApi.addToResolved, { caller: who, product_id: product.id, variant_id: variant.id, quantity: 1 })).id;
  }
  const both = (await findActiveByConversationWithLines(pool, who.conversation))!;
  expect(both.lines).toHaveLength(3);
  expect(both).toEqual({ cart: await findCart(pool, id), lines: await findLines(pool, id) });
  // A cart without lines comes with an empty list.
  const empty = shopper('one-read-empty');
  await cart.runtime.bus.call(cartApi.resolve, { caller: empty });
  expect((await findActiveByConversationWithLines(pool, empty.conversation))!.lines).toEqual([]);
});
