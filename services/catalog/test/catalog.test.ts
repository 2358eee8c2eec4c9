import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { AppError, catalogApi, catalogEvents, type ProductSummary } from '@shop/contracts';
import { adminHeaders, freshDatabase, freshPrefix, httpBoundaryProblems, rawRequest, serviceHeaders, testEnv } from '@shop/kit/testing';
import { start, type RunningCatalog } from '../src/main.js';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let svc: RunningCatalog;
let prefix: string;
const bus = () => svc.runtime.bus;
const search = (req: Parameters<RunningCatalog['runtime']['bus']['call']>[1] & object) => bus().call(catalogApi.search, req as never);
const fail = (p: Promise<unknown>) => p.then(() => expect.fail('expected an error'), (e: AppError) => e);

async function productNamed(name: string) {
  const r = await search({ query: name, in_stock_only: false });
  const hit = r.items.find((i: ProductSummary) => i.name === name);
  if (!hit) throw new Error(`fixture ${name} not found`);
  return bus().call(catalogApi.get, { product_id: hit.id });
}

beforeAll(async () => {
  db = await freshDatabase('catalog');
  prefix = freshPrefix();
  svc = await start(testEnv(db.url, prefix));
});
afterAll(async () => {
  await svc?.stop();
  await db?.drop();
});

describe('search over NATS', () => {
  it('tolerates typos: "pegasas" finds the Pegasus first', async () => {
    const r = await search({ query: 'pegasas' });
    expect(r.items[0].name).toBe('Pegasus 41 Road Running Shoe');
    expect(r.query).toBe('pegasas');
  });

  it('corrects each misspelt word to the nearest catalogue word, then searches as usual', async () => {
    const r = await search({ query: 'wireles headphnes', per_page: 50 });
    expect(r.query).toBe('wireles headphnes');
    expect(r.page_info.total).toBeGreaterThan(0);
    expect(r.page_info.total).toBe((await search({ query: 'wireless headphones', per_page: 50 })).page_info.total);
    expect(r.items.every((i) => i.tags.includes('headphones') || /headphone/i.test(i.name))).toBe(true);
    // Too far from any word of the catalogue: nothing, rather than something unrelated.
    expect((await search({ query: 'qzxvbnm' })).page_info.total).toBe(0);
  });

  it('learns the words of renamed products for typo correction', async () => {
    const [mug] = (await search({ query: 'classic ceramic coffee mug' })).items;
    const pool = svc.runtime.pool;
    await pool.query("update products set name = 'Zephyrion Ceramic Coffee Mug' where id = $1", [mug.id]);
    try {
      const r = await search({ query: 'zephyrian mug' });
      expect(r.items.map((i) => i.id)).toEqual([mug.id]);
    } finally {
      await pool.query('update products set name = $2 where id = $1', [mug.id, mug.name]);
    }
  });

  it('"running shoes" finds running shoes, category names being searchable', async () => {
    const r = await search({ query: 'running shoes', per_page: 50 });
    expect(r.page_info.total).toBeGreaterThan(20);
    const slugs = r.items.slice(0, 10).map((i) => i.category.slug);
    expect(slugs.filter((s) => s === 'running-shoes' || s === 'trail-shoes').length).toBeGreaterThanOrEqual(8);
    expect(r.facets.categories[0]).toMatchObject({ value: 'running-shoes', label: 'Running' });
    expect(r.items.some((i) => i.name === 'Pegasus 41 Road Running Shoe')).toBe(true);
  });

  it('filters a category with its subcategories, by price, brand, size and colour (case-insensitive)', async () => {
    const shoes = await search({ category: 'shoes', per_page: 50, in_stock_only: false });
    expect(new Set(shoes.items.map((i) => i.category.path[0]))).toEqual(new Set(['Shoes']));
    expect(shoes.facets.categories.map((c) => c.value).sort()).toEqual(['casual-shoes', 'hiking-boots', 'running-shoes', 'trail-shoes']);
    expect(shoes.facets.categories.reduce((n, c) => n + c.count, 0)).toBe(shoes.page_info.total);

    const r = await search({ category: 'running-shoes', max_price: 9999, brands: ['STRIDEWELL'], sizes: ['13'], colors: ['blue'], per_page: 50 });
    expect(r.items.length).toBeGreaterThan(0);
    for (const i of r.items) {
      expect(i.price).toBeLessThanOrEqual(9999);
      expect(i.brand).toBe('Stridewell');
      expect(i.sizes).toContain('13');
      expect(i.colors.map((c) => c.toLowerCase())).toContain('blue');
    }
    expect(r.items.map((i) => i.name)).toContain('Pegasus 41 Road Running Shoe');
    expect(r.facets.brands).toEqual([{ value: 'Stridewell', label: 'Stridewell', count: r.page_info.total }]);
    expect(r.facets.price!.max).toBeLessThanOrEqual(9999);

    // Facet counts are exact: each size/colour counts the matching products that have it.
    const running = await search({ category: 'running-shoes', per_page: 50, in_stock_only: false });
    expect(running.page_info.total).toBeLessThanOrEqual(50);
    for (const f of running.facets.sizes) expect(f.count).toBe(running.items.filter((i) => i.sizes.includes(f.value)).length);
    for (const f of running.facets.colors) expect(f.count).toBe(running.items.filter((i) => i.colors.includes(f.value)).length);
    expect(running.facets.sizes.map((f) => f.value).sort()).toEqual(['10', '11', '12', '13', '7', '8', '9']);
    expect(running.facets.price).toEqual({ min: Math.min(...running.items.map((i) => i.price)), max: Math.max(...running.items.map((i) => i.price)) });

    const over = await search({ category: 'running-shoes', min_price: 10_000 });
    expect(over.page_info.total).toBeGreaterThan(0);
    expect(over.items.every((i) => i.price >= 10_000)).toBe(true);
  });

  it('sorts and pages without overlaps', async () => {
    const asc = await search({ category: 'home', sort_by: 'price_asc', per_page: 50 });
    const prices = asc.items.map((i) => i.price);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    const desc = await search({ category: 'home', sort_by: 'price_desc', per_page: 5 });
    expect(desc.items[0].price).toBe(Math.max(...prices, desc.items[0].price));
    const rating = await search({ sort_by: 'rating', per_page: 10 });
    const ratings = rating.items.map((i) => i.rating);
    expect(ratings).toEqual([...ratings].sort((a, b) => b - a));

    const p1 = await search({ category: 'apparel', per_page: 7, page: 1 });
    const p2 = await search({ category: 'apparel', per_page: 7, page: 2 });
    expect(p1.page_info).toMatchObject({ page: 1, per_page: 7, total_pages: Math.ceil(p1.page_info.total / 7), has_more: true });
    const ids1 = new Set(p1.items.map((i) => i.id));
    expect(p2.items.some((i) => ids1.has(i.id))).toBe(false);
    const last = await search({ category: 'apparel', per_page: 7, page: p1.page_info.total_pages });
    expect(last.page_info.has_more).toBe(false);
  });

  it('answers odd queries with results or an empty page, never an error', async () => {
    for (const query of ['the', '!!!', "'", 'a & b | !c', '"unterminated', 'running -shoes', 'ランニング', 'x'.repeat(200), '%_\\', 'or 1=1; drop table products']) {
      const r = await search({ query, in_stock_only: false }); // an error reply would reject here
      expect(r.items.length).toBe(Math.min(20, r.page_info.total));
    }
    const minus = await search({ query: 'running -shoes', per_page: 50 });
    expect(minus.items.every((i) => !/shoe/i.test(i.name))).toBe(true);
    expect((await search({ query: 'stridewell pegasus' })).items[0].name).toBe('Pegasus 41 Road Running Shoe');
  });

  it('hides out-of-stock products unless asked', async () => {
    const def = await search({ query: 'Glacier Insulated Water Bottle' });
    expect(def.items.map((i) => i.name)).not.toContain('Glacier Insulated Water Bottle');
    const all = await search({ query: 'Glacier Insulated Water Bottle', in_stock_only: false });
    expect(all.items[0]).toMatchObject({ name: 'Glacier Insulated Water Bottle', in_stock: false, available: 0 });
  });

  it('never returns a refused (prohibited) item, and refuses it by id', async () => {
    const refused = await bus().call(catalogApi.listRefused, {});
    expect(refused.items.length).toBe(10);
    for (const item of refused.items) {
      for (const query of [item.name, item.name.split(' ')[0]]) {
        const r = await search({ query, in_stock_only: false, per_page: 50 });
        expect(r.items.map((i) => i.id)).not.toContain(item.id);
      }
      const err = await fail(bus().call(catalogApi.get, { product_id: item.id }));
      expect(err).toMatchObject({ code: 'PROHIBITED_ITEM', details: { reason: item.reason } });
    }
    for (const query of ['wine', 'cigarettes', 'gift card', 'vape', 'ebook', 'crypto']) {
      const r = await search({ query, in_stock_only: false });
      expect(r.items.filter((i) => refused.items.some((x) => x.id === i.id))).toEqual([]);
    }
  });
});

describe('details and look-ups', () => {
  it('gives variants with availability and up to 6 related in-stock products', async () => {
    const p = await productNamed('Pegasus 41 Road Running Shoe');
    expect(p).toMatchObject({ brand: 'Stridewell', price: 8999, category: { slug: 'running-shoes', path: ['Shoes', 'Running'] }, active: true });
    expect(p.variants).toHaveLength(14);
    for (const v of p.variants) expect(v.available).toBeGreaterThanOrEqual(50);
    expect(p.related.length).toBeGreaterThan(0);
    expect(p.related.length).toBeLessThanOrEqual(6);
    expect(p.related.every((r) => r.in_stock && r.id !== p.id)).toBe(true);
    expect(p.image_url).toBe(`${svc.httpUrl}/v1/images/${p.id}.svg`);

    const mug = await productNamed('Classic Ceramic Coffee Mug');
    expect(mug.variants).toEqual([expect.objectContaining({ size: null, color: null, price: 999, stock: 500, available: 500, in_stock: true })]);
    const err = await fail(bus().call(catalogApi.get, { product_id: randomUUID() }));
    expect(err).toMatchObject({ code: 'PRODUCT_NOT_FOUND' });
  });

  it('gives a product\'s variants alone for the cart: the same variants as the details, no related products', async () => {
    const p = await productNamed('Pegasus 41 Road Running Shoe');
    const lean = await bus().call(catalogApi.variants, { product_id: p.id });
    expect(lean).toEqual({ id: p.id, name: p.name, brand: p.brand, image_url: p.image_url, active: true, variants: p.variants });
    const { items } = await bus().call(catalogApi.listRefused, {});
    expect(await fail(bus().call(catalogApi.variants, { product_id: items[0].id }))).toMatchObject({ code: 'PROHIBITED_ITEM' });
    expect(await fail(bus().call(catalogApi.variants, { product_id: randomUUID() }))).toMatchObject({ code: 'PRODUCT_NOT_FOUND' });
  });

  it('looks up variants in bulk; unknown ids are absent', async () => {
    const p = await productNamed('Pegasus 41 Road Running Shoe');
    const ids = p.variants.slice(0, 3).map((v) => v.id);
    const r = await bus().call(catalogApi.lookupVariants, { variant_ids: [...ids, randomUUID()] });
    expect(r.variants.map((v) => v.variant_id).sort()).toEqual([...ids].sort());
    expect(r.variants[0]).toMatchObject({ product_id: p.id, name: p.name, price: 8999, currency: 'USD', active: true });
  });

  it('serves the product image over HTTP and NATS', async () => {
    const p = await productNamed('Classic Ceramic Coffee Mug');
    const res = await request(svc.app).get(`/v1/images/${p.id}.svg`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('image/svg+xml');
    const svg = res.body instanceof Buffer ? res.body.toString() : res.text;
    expect(svg).toContain('Classic Ceramic Coffee Mug');
    expect((await bus().call(catalogApi.getImage, { product_id: p.id })).svg).toBe(svg);
    expect((await request(svc.app).get(`/v1/images/${randomUUID()}.svg`)).status).toBe(404);
    expect((await request(svc.app).get('/v1/images/nope.svg')).status).toBe(400);
  });
});

describe('inventory', () => {
  it('reserves, commits and restocks; events go out through the outbox', async () => {
    const sub = svc.runtime.nc.subscribe(`${prefix}evt.inventory.>`);
    const seen: string[] = [];
    const collecting = (async () => {
      for await (const m of sub) {
        seen.push(m.subject.slice(prefix.length));
        if (seen.length === 3) break;
      }
    })();
    const mug = await productNamed('Classic Ceramic Coffee Mug');
    const v = mug.variants[0];
    const order = randomUUID();
    const r = await bus().call(catalogApi.reserve, { order_id: order, lines: [{ variant_id: v.id, quantity: 2 }, { variant_id: v.id, quantity: 1 }] });
    expect(r).toMatchObject({ order_id: order, status: 'active', lines: [{ variant_id: v.id, quantity: 3 }] });
    expect((await bus().call(catalogApi.reserve, { order_id: order, lines: [{ variant_id: v.id, quantity: 50 }] })).lines).toEqual(r.lines);
    let now = await bus().call(catalogApi.lookupVariants, { variant_ids: [v.id] });
    expect(now.variants[0].available).toBe(497);
    expect(await bus().call(catalogApi.commit, { order_id: order })).toMatchObject({ status: 'committed' });
    expect(await bus().call(catalogApi.commit, { order_id: order })).toMatchObject({ status: 'committed' });
    const after = await bus().call(catalogApi.get, { product_id: mug.id });
    expect(after.variants[0]).toMatchObject({ stock: 497, available: 497 });
    expect(await fail(bus().call(catalogApi.release, { order_id: order }))).toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(await bus().call(catalogApi.restock, { order_id: order })).toMatchObject({ status: 'restocked' });
    now = await bus().call(catalogApi.lookupVariants, { variant_ids: [v.id] });
    expect(now.variants[0].available).toBe(500);
    await collecting;
    expect(seen).toEqual([catalogEvents.reserved, catalogEvents.committed, catalogEvents.restocked]);
    expect(await fail(bus().call(catalogApi.getReservation, { order_id: randomUUID() }))).toMatchObject({ code: 'RESERVATION_NOT_FOUND' });
  });

  it('answers a reserve with the reservation as stored: lines merged by variant (whatever its case), in id order', async () => {
    const shoe = await productNamed('Pegasus 41 Road Running Shoe');
    const [a, b, c] = shoe.variants.slice(0, 3).map((v) => v.id);
    const order = randomUUID();
    const r = await bus().call(catalogApi.reserve, {
      order_id: order,
      lines: [{ variant_id: c, quantity: 1 }, { variant_id: a.toUpperCase(), quantity: 2 }, { variant_id: b, quantity: 1 }, { variant_id: a, quantity: 1 }],
    });
    expect(r.lines).toEqual([{ variant_id: a, quantity: 3 }, { variant_id: b, quantity: 1 }, { variant_id: c, quantity: 1 }].sort((x, y) => (x.variant_id < y.variant_id ? -1 : 1)));
    expect(await bus().call(catalogApi.getReservation, { order_id: order })).toEqual(r);
    await bus().call(catalogApi.release, { order_id: order });
  });

  it('reserves all lines or none, naming what is short', async () => {
    const trail = await productNamed('Trailblazer Limited Trail Shoe');
    const mug = await productNamed('Classic Ceramic Coffee Mug');
    const ten = trail.variants.find((v) => v.size === '10')!;
    const order = randomUUID();
    const err = await fail(bus().call(catalogApi.reserve, { order_id: order, lines: [{ variant_id: mug.variants[0].id, quantity: 1 }, { variant_id: ten.id, quantity: 3 }] }));
    expect(err.code).toBe('OUT_OF_STOCK');
    expect(err.message).toContain('Only 2 units of Trailblazer Limited Trail Shoe (size 10)');
    expect(err.details).toEqual({ items: [{ variant_id: ten.id, name: 'Trailblazer Limited Trail Shoe', size: '10', color: 'Forest Green', requested: 3, available: 2 }] });
    const mugNow = await bus().call(catalogApi.lookupVariants, { variant_ids: [mug.variants[0].id] });
    expect(mugNow.variants[0].available).toBe(500);
    expect(await fail(bus().call(catalogApi.getReservation, { order_id: order }))).toMatchObject({ code: 'RESERVATION_NOT_FOUND' });
    const released = randomUUID();
    await bus().call(catalogApi.reserve, { order_id: released, lines: [{ variant_id: ten.id, quantity: 2 }] });
    expect((await fail(bus().call(catalogApi.reserve, { order_id: randomUUID(), lines: [{ variant_id: ten.id, quantity: 1 }] }))).message).toContain('is out of stock');
    expect(await bus().call(catalogApi.release, { order_id: released })).toMatchObject({ status: 'released' });
    expect(await fail(bus().call(catalogApi.commit, { order_id: released }))).toMatchObject({ code: 'INVALID_TRANSITION' });
    const unknown = await fail(bus().call(catalogApi.reserve, { order_id: randomUUID(), lines: [{ variant_id: randomUUID(), quantity: 1 }] }));
    expect(unknown.code).toBe('VARIANT_NOT_FOUND');
  });

  it('never oversells: 50 parallel orders for 10 units, exactly 10 succeed', async () => {
    const pegasus = await productNamed('Pegasus 41 Road Running Shoe');
    const v = pegasus.variants[0];
    await request(svc.app).patch(`/v1/admin/variants/${v.id}`).set(adminHeaders).send({ stock: 10 }).expect(200);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => bus().call(catalogApi.reserve, { order_id: randomUUID(), lines: [{ variant_id: v.id, quantity: 1 }] }, { timeoutMs: 20_000 })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(10);
    expect(rejected.every((r) => (r.reason as AppError).code === 'OUT_OF_STOCK')).toBe(true);
    const { rows } = await svc.runtime.pool.query('select stock, reserved from variants where id = $1', [v.id]);
    expect(rows[0]).toEqual({ stock: 10, reserved: 10 });
    const p = await bus().call(catalogApi.get, { product_id: pegasus.id });
    expect(p.variants.find((x) => x.id === v.id)).toMatchObject({ stock: 10, available: 0, in_stock: false });
  });
});

describe('HTTP API', () => {
  it('searches with query-string parameters', async () => {
    const res = await request(svc.app).get('/v1/products').set(serviceHeaders).query({ q: 'pegasas', per_page: '5', brands: 'Stridewell,Fleetfoot', in_stock_only: 'true' });
    expect(res.status).toBe(200);
    expect(res.body.items[0].name).toBe('Pegasus 41 Road Running Shoe');
    expect(res.body.page_info.per_page).toBe(5);
    const res2 = await fetch(`${svc.httpUrl}/v1/products?category=shoes&sizes=10&colors=BLACK&sort_by=price_asc`, { headers: serviceHeaders });
    expect(res2.status).toBe(200);
    const body = await res2.json();
    expect(body.items.length).toBeGreaterThan(0);
  });

  it.each([
    ['per_page=10000', 'query.per_page'],
    ['min_price=-5', 'query.min_price'],
    ['min_price=9.5', 'query.min_price'],
    ['min_price=500&max_price=100', 'query.min_price'],
    ['sort_by=cheapest', 'query.sort_by'],
    [`q=${'x'.repeat(10_000)}`, 'query.query'],
    ['colour=red', 'query'],
    ['in_stock_only=maybe', 'query.in_stock_only'],
  ])('rejects %s with INVALID_INPUT naming %s', async (qs, field) => {
    const res = await request(svc.app).get(`/v1/products?${qs}`).set(serviceHeaders);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_INPUT');
    expect(res.body.error.message).toContain(field);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('rejects the same bad input over NATS', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ per_page: 10_000 }, 'per_page'],
      [{ min_price: -1 }, 'min_price'],
      [{ sort_by: 'cheapest' }, 'sort_by'],
      [{ query: 'x'.repeat(10_000) }, 'query'],
      [{ colour: 'red' }, 'colour'],
    ];
    for (const [req, field] of cases) {
      const err = await fail(search(req));
      expect(err.code).toBe('INVALID_INPUT');
      expect(JSON.stringify(err.details)).toContain(field);
    }
    expect(await fail(bus().call(catalogApi.get, { product_id: 'not-a-uuid' }))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('product_id') });
    expect(await fail(bus().call(catalogApi.reserve, { order_id: randomUUID(), lines: [] }))).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('gives details, refused items, errors by code and the OpenAPI document', async () => {
    const pegasus = await productNamed('Pegasus 41 Road Running Shoe');
    const res = await request(svc.app).get(`/v1/products/${pegasus.id}`).set(serviceHeaders);
    expect(res.status).toBe(200);
    expect(res.body.variants).toHaveLength(14);
    expect((await request(svc.app).get('/v1/products/not-a-uuid').set(serviceHeaders)).body.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('path.product_id') });
    expect((await request(svc.app).get(`/v1/products/${randomUUID()}`).set(serviceHeaders)).status).toBe(404);
    const refused = await request(svc.app).get('/v1/refused-items').set(serviceHeaders);
    expect(refused.body.items).toHaveLength(10);
    const wine = refused.body.items.find((i: { name: string }) => i.name.includes('Chateau'));
    const prohibited = await request(svc.app).get(`/v1/products/${wine.id}`).set(serviceHeaders);
    expect(prohibited.status).toBe(422);
    expect(prohibited.body.error).toMatchObject({ code: 'PROHIBITED_ITEM', details: { reason: expect.stringContaining('Alcoholic') } });
    const doc = await request(svc.app).get('/v1/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/products', '/v1/products/{id}', '/v1/admin/variants/{id}', '/v1/refused-items']));
    expect(doc.body.paths['/v1/products'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['query', 'per_page', 'sort_by']));
  });

  it('lets an operator change a price and stock, validated', async () => {
    const mug = await productNamed('Classic Ceramic Coffee Mug');
    const id = mug.variants[0].id;
    const ok = await request(svc.app).patch(`/v1/admin/variants/${id}`).set(adminHeaders).send({ price: 1299 });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id, price: 1299, stock: 500 });
    const p = await bus().call(catalogApi.get, { product_id: mug.id });
    expect([p.price, p.price_max]).toEqual([1299, 1299]);
    expect((await bus().call(catalogApi.updateVariant, { variant_id: id, price: 999, stock: 5 }))).toMatchObject({ price: 999, stock: 5, available: 5 });
    for (const [body, field] of [
      [{ price: -1 }, 'body.price'],
      [{ price: 12.5 }, 'body.price'],
      [{ stock: 'lots' }, 'body.stock'],
      [{ price: 100, discount: 5 }, 'body'],
      [{}, 'body.price'],
    ] as const) {
      const res = await request(svc.app).patch(`/v1/admin/variants/${id}`).set(adminHeaders).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(field);
    }
    expect((await request(svc.app).patch(`/v1/admin/variants/${randomUUID()}`).set(adminHeaders).send({ stock: 1 })).body.error.code).toBe('VARIANT_NOT_FOUND');
    const order = randomUUID();
    await bus().call(catalogApi.reserve, { order_id: order, lines: [{ variant_id: id, quantity: 3 }] });
    const below = await request(svc.app).patch(`/v1/admin/variants/${id}`).set(adminHeaders).send({ stock: 2 });
    expect(below.status).toBe(400);
    expect(below.body.error.message).toContain('stock');
    await bus().call(catalogApi.release, { order_id: order });
    await request(svc.app).patch(`/v1/admin/variants/${id}`).set(adminHeaders).send({ price: 999, stock: 500 }).expect(200);
  });

  it('keeps the variant filter keys in step with the variants (code and SQL agree)', async () => {
    const { rows } = await svc.runtime.pool.query(`
      select count(*)::int n from products p where
        (select coalesce(array_agg(distinct k order by k), '{}') from variants v, unnest(catalog_variant_keys(v.size, v.color)) k where v.product_id = p.id)
          is distinct from (select coalesce(array_agg(k order by k), '{}') from unnest(p.variant_keys) k)
        or (select coalesce(array_agg(distinct k order by k), '{}') from variants v, unnest(catalog_variant_keys(v.size, v.color)) k where v.product_id = p.id and v.stock > v.reserved)
          is distinct from (select coalesce(array_agg(k order by k), '{}') from unnest(p.available_keys) k)`);
    expect(rows[0].n).toBe(0);
  });

  it('seeds once: a second instance on the same database adds nothing', async () => {
    const before = await svc.runtime.pool.query('select count(*)::int n from products');
    const second = await start(testEnv(db.url, freshPrefix()));
    await second.stop();
    const after = await svc.runtime.pool.query('select count(*)::int n from products');
    expect(after.rows[0].n).toBe(before.rows[0].n);
    expect(before.rows[0].n).toBeGreaterThanOrEqual(300);
  });
});

describe('HTTP trust boundary', () => {
  it('every route but the images and the OpenAPI document needs a credential; stock and price changes an admin one', async () => {
    const { checked, problems } = await httpBoundaryProblems(svc.httpUrl, {
      public: ['GET /v1/openapi.json', 'GET /v1/images/:file'],
      admin: ['PATCH /v1/admin/variants/:id', 'POST /v1/reservations', 'POST /v1/reservations/:order_id/commit', 'POST /v1/reservations/:order_id/release', 'POST /v1/reservations/:order_id/restock'],
    });
    expect(problems).toEqual([]);
    expect(checked.length).toBeGreaterThanOrEqual(11);
  });

  it('a price change needs the admin token: none, a wrong one or the service one change nothing', async () => {
    const mug = await productNamed('Classic Ceramic Coffee Mug');
    const v = mug.variants[0];
    const none = await rawRequest(`${svc.httpUrl}/v1/admin/variants/${v.id}`, { method: 'PATCH', body: JSON.stringify({ price: 1 }) });
    expect([none.status, JSON.parse(none.text).error.code, none.headers['www-authenticate']]).toEqual([401, 'UNAUTHENTICATED', 'Bearer realm="catalog"']);
    const wrong = await request(svc.app).patch(`/v1/admin/variants/${v.id}`).set({ authorization: `Bearer ${'x'.repeat(29)}` }).send({ price: 1 });
    expect([wrong.status, wrong.body.error.code, wrong.headers['www-authenticate']]).toEqual([401, 'UNAUTHENTICATED', 'Bearer realm="catalog", error="invalid_token"']);
    const asService = await request(svc.app).patch(`/v1/admin/variants/${v.id}`).set(serviceHeaders).send({ price: 1 });
    expect([asService.status, asService.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(asService.body.error.message).toContain('test-service');
    expect((await bus().call(catalogApi.get, { product_id: mug.id })).variants.find((x) => x.id === v.id)!.price).toBe(v.price);
  });

  it('refuses a rebinding Host (health checks excepted) and a cross-origin change, even with the admin token', async () => {
    const port = new URL(svc.httpUrl).port;
    const rebound = await rawRequest(`${svc.httpUrl}/v1/products`, { headers: { ...serviceHeaders, host: `attacker.example:${port}` } });
    expect([rebound.status, JSON.parse(rebound.text).error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await rawRequest(`${svc.httpUrl}/healthz`, { headers: { host: 'attacker.example' } })).status).toBe(200);
    for (const host of [`localhost:${port}`, `catalog:${port}`, `[::1]:${port}`]) expect((await rawRequest(`${svc.httpUrl}/v1/openapi.json`, { headers: { host } })).status).toBe(200);

    const mug = await productNamed('Classic Ceramic Coffee Mug');
    const v = mug.variants[0];
    for (const origin of ['https://attacker.example', 'null', `http://localhost:${Number(port) + 1}`]) {
      const res = await rawRequest(`${svc.httpUrl}/v1/admin/variants/${v.id}`, { method: 'PATCH', headers: { ...adminHeaders, origin, 'content-type': 'text/plain' }, body: JSON.stringify({ price: 1 }) });
      expect([origin, res.status, JSON.parse(res.text).error.code]).toEqual([origin, 403, 'FORBIDDEN']);
    }
    expect((await bus().call(catalogApi.get, { product_id: mug.id })).variants.find((x) => x.id === v.id)!.price).toBe(v.price);
    // Its own origin, or none (curl, a service), is fine.
    const same = await rawRequest(`${svc.httpUrl}/v1/admin/variants/${v.id}`, { method: 'PATCH', headers: { ...adminHeaders, origin: svc.httpUrl }, body: JSON.stringify({ price: v.price }) });
    expect(same.status).toBe(200);
  });
});
