import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { catalogApi, catalogEvents } from '@shop/contracts';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start, type RunningCatalog } from '../src/main.js';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let svc: RunningCatalog;
let prefix: string;

beforeAll(async () => {
  db = await freshDatabase('catalog_ttl');
  prefix = freshPrefix();
  svc = await start(testEnv(db.url, prefix, { RESERVATION_TTL_SECONDS: '1', RESERVATION_SWEEP_MS: '100' }));
});
afterAll(async () => {
  await svc?.stop();
  await db?.drop();
});

it('expires a reservation after its TTL and gives the units back', async () => {
  const bus = svc.runtime.bus;
  const sub = svc.runtime.nc.subscribe(`${prefix}${catalogEvents.expired}`, { max: 1 });
  const expiredEvent = (async () => {
    for await (const m of sub) return m.json<{ data: { order_id: string } }>();
  })();
  const found = await bus.call(catalogApi.search, { query: 'Trailblazer Limited Trail Shoe' });
  const product = await bus.call(catalogApi.get, { product_id: found.items[0].id });
  const ten = product.variants.find((v) => v.size === '10')!;
  const order = randomUUID();
  const r = await bus.call(catalogApi.reserve, { order_id: order, lines: [{ variant_id: ten.id, quantity: 2 }] });
  expect(r.status).toBe('active');
  expect(new Date(r.expires_at).getTime() - Date.now()).toBeLessThanOrEqual(1_500);
  expect((await bus.call(catalogApi.lookupVariants, { variant_ids: [ten.id] })).variants[0].available).toBe(0);

  const deadline = Date.now() + 10_000;
  let status = r.status;
  while (status === 'active' && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 100));
    status = (await bus.call(catalogApi.getReservation, { order_id: order })).status;
  }
  expect(status).toBe('expired');
  expect((await bus.call(catalogApi.lookupVariants, { variant_ids: [ten.id] })).variants[0].available).toBe(2);
  expect((await expiredEvent)?.data.order_id).toBe(order);
  // Releasing an expired reservation changes nothing; committing it re-takes the stock if it is still there.
  expect(await bus.call(catalogApi.release, { order_id: order })).toMatchObject({ status: 'expired' });
  expect(await bus.call(catalogApi.commit, { order_id: order })).toMatchObject({ status: 'committed' });
  const after = await bus.call(catalogApi.get, { product_id: product.id });
  expect(after.variants.find((v) => v.id === ten.id)).toMatchObject({ stock: 0, available: 0 });
});
