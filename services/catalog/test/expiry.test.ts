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

it('holds a reservation longer: an active one past its first expiry, an expired one again while its units are there, else OUT_OF_STOCK', async () => {
  const bus = svc.runtime.bus;
  const found = await bus.call(catalogApi.search, { query: 'mug' });
  const detail = await bus.call(catalogApi.get, { product_id: found.items[0].id });
  const variant = detail.variants.find((v) => v.available >= 3)!;
  const available = async () => (await bus.call(catalogApi.lookupVariants, { variant_ids: [variant.id] })).variants[0].available;
  const start = await available();
  const untilExpired = async (order: string) => {
    const deadline = Date.now() + 10_000;
    while ((await bus.call(catalogApi.getReservation, { order_id: order })).status === 'active') {
      if (Date.now() > deadline) throw new Error(`reservation ${order} never expired`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  // Active: held 5 s from now, so it outlives its 1 s TTL (the sweep runs every 100 ms).
  const held = randomUUID();
  const first = await bus.call(catalogApi.reserve, { order_id: held, lines: [{ variant_id: variant.id, quantity: 1 }] });
  const extended = await bus.call(catalogApi.extend, { order_id: held, ttl_seconds: 5 });
  expect(extended.status).toBe('active');
  expect(new Date(extended.expires_at).getTime()).toBeGreaterThan(new Date(first.expires_at).getTime() + 3_000);
  await new Promise((res) => setTimeout(res, 1_500));
  expect((await bus.call(catalogApi.getReservation, { order_id: held })).status).toBe('active');
  expect(await available()).toBe(start - 1);

  // Expired with its unit still there: taken again.
  const lapsed = randomUUID();
  await bus.call(catalogApi.reserve, { order_id: lapsed, lines: [{ variant_id: variant.id, quantity: 1 }] });
  await untilExpired(lapsed);
  expect(await available()).toBe(start - 1);
  expect(await bus.call(catalogApi.extend, { order_id: lapsed, ttl_seconds: 5 })).toMatchObject({ status: 'active', lines: [{ variant_id: variant.id, quantity: 1 }] });
  expect(await available()).toBe(start - 2);

  // Expired and its units sold meanwhile: refused, and it stays expired.
  const sold = randomUUID();
  await bus.call(catalogApi.reserve, { order_id: sold, lines: [{ variant_id: variant.id, quantity: start - 2 }] });
  await untilExpired(sold);
  await bus.call(catalogApi.reserve, { order_id: randomUUID(), lines: [{ variant_id: variant.id, quantity: start - 2 }], ttl_seconds: 60 });
  await expect(bus.call(catalogApi.extend, { order_id: sold, ttl_seconds: 5 })).rejects.toMatchObject({ code: 'OUT_OF_STOCK' });
  expect((await bus.call(catalogApi.getReservation, { order_id: sold })).status).toBe('expired');

  // Committed: answered as it is; released: refused.
  expect(await bus.call(catalogApi.commit, { order_id: held })).toMatchObject({ status: 'committed' });
  expect(await bus.call(catalogApi.extend, { order_id: held, ttl_seconds: 5 })).toMatchObject({ status: 'committed' });
  await bus.call(catalogApi.release, { order_id: lapsed });
  await expect(bus.call(catalogApi.extend, { order_id: lapsed, ttl_seconds: 5 })).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
  await expect(bus.call(catalogApi.extend, { order_id: randomUUID(), ttl_seconds: 5 })).rejects.toMatchObject({ code: 'RESERVATION_NOT_FOUND' });
}, 30_000);
