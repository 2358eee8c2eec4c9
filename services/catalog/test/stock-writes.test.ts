import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { adjustStock } from '../src/db/reservations.js';
import { lockProductsAndVariants } from '../src/db/locks.js';
import { start, type RunningCatalog } from '../src/main.js';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let svc: RunningCatalog;
let client: pg.Client;

beforeAll(async () => {
  db = await freshDatabase('catalog_stock_writes');
  svc = await start(testEnv(db.url, freshPrefix()));
  client = new pg.Client(db.url);
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await svc?.stop();
  await db?.drop();
});

const counted = (table: string) => `pg_stat_get_xact_tuples_updated('${table}'::regclass)::int`;
const hot = (table: string) => `pg_stat_get_xact_tuples_hot_updated('${table}'::regclass)::int`;

it("a reservation's stock change rewrites the product and its search copy without touching their indexes (heap-only)", async () => {
  // One variant of each of 20 products, each reserved in its own transaction as Reservations.reserve does.
  const { rows: picked } = await client.query<{ id: string }>('select distinct on (product_id) id from variants where stock > 0 order by product_id, id limit 20');
  expect(picked.length).toBe(20);
  const totals = { products: 0, productsHot: 0, search: 0, searchHot: 0 };
  for (const { id } of picked) {
    // The counters include this session's earlier transactions until they are flushed: take the difference.
    const read = async () => (await client.query(`select ${counted('products')} u, ${hot('products')} h, ${counted('product_search')} su, ${hot('product_search')} sh`)).rows[0];
    await client.query('begin');
    const before = await read();
    await lockProductsAndVariants(client, [id]);
    await adjustStock(client, [{ variant_id: id, quantity: 1 }], 0, 1);
    const after = await read();
    await client.query('commit');
    totals.products += after.u - before.u;
    totals.productsHot += after.h - before.h;
    totals.search += after.su - before.su;
    totals.searchHot += after.sh - before.sh;
  }
  expect(totals.products).toBe(20);
  expect(totals.search).toBe(20);
  // All of them in practice; a page whose old versions another snapshot still sees may take a full update.
  expect(totals.productsHot).toBeGreaterThanOrEqual(18);
  expect(totals.searchHot).toBeGreaterThanOrEqual(18);
});
