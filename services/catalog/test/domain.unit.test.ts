import { describe, expect, it } from 'vitest';
import { SearchRequest } from '@shop/contracts';
import { classifyProhibited } from '../src/domain/prohibited.js';
import { bulkFeed, categories, sampleFeed } from '../src/domain/feed.js';
import { partitionFeed } from '../src/domain/loader.js';
import { nameUuid, productId } from '../src/domain/ids.js';
import { buildSearchSql, filterKeys, keysOf, normaliseQuery } from '../src/domain/search.js';
import { productSvg, wrapTitle } from '../src/domain/svg.js';
import { findShortages, mergeLines, outOfStock } from '../src/domain/inventory.js';
import { searchFromQueryString } from '../src/http/search-query.js';

const item = (over: Partial<{ name: string; category: string[]; tags: string[]; description: string }>) => ({
  name: 'Thing',
  category: ['Home'],
  tags: [],
  description: 'A thing.',
  ...over,
});

describe('classifyProhibited', () => {
  it.each([
    ['an ebook', item({ name: 'Novel', tags: ['ebook'] }), /Digital goods/],
    ['a software licence', item({ name: 'Editor Pro Software Licence' }), /Digital goods/],
    ['wine', item({ name: 'Chateau Rouge', tags: ['red wine'] }), /Alcohol/],
    ['cigarettes', item({ name: 'Gold Carton', description: '200 cigarettes' }), /Tobacco/],
    ['a vape', item({ name: 'Mint Pod Kit', tags: ['vape'] }), /Tobacco/],
    ['a gift card', item({ name: 'Shopwell $50 Gift Card' }), /Gift cards/],
    ['a knife sold as a weapon', item({ name: 'Tactical Blade', description: 'A combat knife built as a weapon.' }), /Weapons/],
    ['crypto', item({ name: 'Starter Bundle', tags: ['crypto'] }), /Financial/],
    ['a category of its own', item({ name: 'Single Malt', category: ['Food & Drink', 'Whisky'] }), /Alcohol/],
  ])('refuses %s with a reason', (_label, it_, reason) => {
    expect(classifyProhibited(it_)).toMatch(reason);
  });

  it.each([
    ["a chef's knife", item({ name: "Hearth Chef's Knife", category: ['Home', 'Kitchen'], tags: ['kitchen'] })],
    ['a wine glass set', item({ name: 'Crystal Wine Glass Set', tags: ['glassware'] })],
    ['a massage gun', item({ name: 'Recover Massage Gun', category: ['Sports & Fitness'] })],
    ['a word that merely contains a term', item({ name: 'Original Ginger Mug', description: 'Rumble-proof handle.' })],
  ])('allows %s', (_label, it_) => {
    expect(classifyProhibited(it_)).toBeNull();
  });
});

describe('sample feed', () => {
  const feed = sampleFeed();
  const { accepted, refused } = partitionFeed(feed);
  const byName = (name: string) => accepted.find((p) => p.name === name)!;

  it('looks like a real store: 300+ physical products over 8+ departments, $5–$2,000', () => {
    expect(accepted.length).toBeGreaterThanOrEqual(300);
    const roots = new Set(accepted.map((p) => p.category[0]));
    expect(roots.size).toBeGreaterThanOrEqual(8);
    const prices = accepted.flatMap((p) => p.variants.map((v) => v.price));
    expect(Math.min(...prices)).toBe(500);
    expect(Math.max(...prices)).toBe(200_000);
    expect(accepted.filter((p) => p.variants.every((v) => v.stock === 0)).length).toBeGreaterThan(1);
    expect(new Set(accepted.map((p) => p.name)).size).toBe(accepted.length);
    expect(new Set(feed.flatMap((p) => p.variants.map((v) => v.id))).size).toBe(feed.reduce((n, p) => n + p.variants.length, 0));
    for (const p of accepted) expect(categories.some((c) => c.slug === p.categorySlug)).toBe(true);
  });

  it('refuses exactly the prohibited items, each with a reason', () => {
    expect(refused.map((r) => r.item.name).sort()).toEqual(
      [
        'BitVault Starter Bundle',
        'Chateau Rouge Reserve 750ml',
        'CloudPuff Mint Pod Kit',
        'Highland Oak Single Malt',
        'Marlow Gold King Size Carton',
        'Midnight Library Digital Edition',
        'Nightfall Tactical Fixed Blade',
        'PhotoPro Studio 12-Month Licence',
        'Shopwell $50 Gift Card',
        'StreamMax Premium 12 Months',
      ].sort(),
    );
    for (const r of refused) expect(r.reason.length).toBeGreaterThan(10);
  });

  it('keeps the fixtures other services rely on', () => {
    const pegasus = byName('Pegasus 41 Road Running Shoe');
    expect(pegasus).toMatchObject({ brand: 'Stridewell', category: ['Shoes', 'Running'] });
    expect(new Set(pegasus.variants.map((v) => v.size))).toEqual(new Set(['7', '8', '9', '10', '11', '12', '13']));
    expect(new Set(pegasus.variants.map((v) => v.color))).toEqual(new Set(['Black', 'Blue']));
    for (const v of pegasus.variants) {
      expect(v.price).toBe(8999);
      expect(v.stock).toBeGreaterThanOrEqual(50);
    }
    const mug = byName('Classic Ceramic Coffee Mug');
    expect(mug.variants).toEqual([expect.objectContaining({ size: null, color: null, price: 999, stock: 500 })]);
    const trail = byName('Trailblazer Limited Trail Shoe');
    expect(trail.variants.find((v) => v.size === '10')!.stock).toBe(2);
    expect(trail.variants.filter((v) => v.size !== '10').every((v) => v.stock > 2)).toBe(true);
    const running = accepted.filter((p) => p.categorySlug === 'running-shoes');
    expect(running.some((p) => p.variants[0].price < 10_000 && p.name !== pegasus.name)).toBe(true);
    expect(running.some((p) => p.variants[0].price > 10_000)).toBe(true);
  });

  it('is identical on every run, with name-based ids', () => {
    expect(sampleFeed()).toEqual(feed);
    expect(byName('Pegasus 41 Road Running Shoe').id).toBe(productId('SKU-PEGASUS-41-ROAD-RUNNING-SHOE'));
  });

  it('generates a bulk catalogue of any size with unique names and no prohibited items', () => {
    const bulk = bulkFeed(2_000);
    expect(new Set(bulk.map((p) => p.sku)).size).toBe(2_000);
    expect(partitionFeed(bulk).refused).toEqual([]);
  });
});

describe('nameUuid', () => {
  it('is an RFC 4122 version 5 UUID, stable for a name (RFC test vector)', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org') == 886313e1-3b8a-5372-9b90-0c9aee199e5d
    expect(nameUuid('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(nameUuid('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('buildSearchSql', () => {
  const parse = (r: unknown) => SearchRequest.parse(r);

  it('matches text by full-text search, or after typo correction, ranked by relevance', () => {
    const sql = buildSearchSql(parse({ query: '  running   shoes ' }));
    expect(sql.query).toBe('running shoes');
    expect(sql.values[0]).toBe('running shoes');
    expect(sql.text).toContain("p.search @@ (select websearch_to_tsquery('english', $1))");
    expect(sql.text).toContain("ts_rank(p.search, (select websearch_to_tsquery('english', $1))) as rank");
    expect(sql.text).not.toContain('%>');
    // The typo-corrected form, for when full-text search found nothing.
    const fuzzy = buildSearchSql(parse({ query: 'pegasas' }), 'fuzzy');
    expect(fuzzy.text).toContain("p.search @@ (select websearch_to_tsquery('english', catalog_correct_query($1)))");
    expect(fuzzy.text).toContain("ts_rank(p.search, (select websearch_to_tsquery('english', catalog_correct_query($1)))) as rank");
    expect(fuzzy.name).not.toBe(sql.name);
    expect(buildSearchSql(parse({ query: 'mug', sort_by: 'price_asc' })).text).not.toContain('ts_rank');
    expect(sql.text).toMatch(/order by rank desc, rating desc, review_count desc, id/);
    expect(sql.text).toContain('p.available > 0');
  });

  it('adds every filter as a parameter, never as text', () => {
    const sql = buildSearchSql(parse({ category: 'Shoes', min_price: 1000, max_price: 9000, brands: ["O'Brien", 'Stridewell', 'stridewell'], sizes: ['10'], colors: ['Blue'], sort_by: 'price_desc', page: 3, per_page: 10 }));
    expect(sql.text).not.toContain("O'Brien");
    expect(sql.values).toEqual(['shoes', 1000, 9000, ["o'brien", 'stridewell'], ['s:10|c:blue'], 10, 20]);
    expect(sql.text).toContain('p.category_slugs @> array[$1]::text[]');
    expect(sql.text).toContain('p.brand_lc = any($4::text[])');
    // In stock with a size/colour filter means that size/colour is available, not just any variant.
    expect(sql.text).toContain('p.available_keys && $5::text[]');
    expect(sql.text).not.toContain('p.available > 0');
    expect(sql.text).toContain('order by price desc, id');
    expect(sql.text).toContain('limit $6 offset $7');
    expect(sql.query).toBeNull();
  });

  it('turns sizes and colours into variant keys', () => {
    expect(filterKeys(['9', '10'], ['black'])).toEqual(['s:9|c:black', 's:10|c:black']);
    expect(filterKeys(['m'], undefined)).toEqual(['s:m']);
    expect(filterKeys(undefined, ['blue'])).toEqual(['c:blue']);
    expect(filterKeys(undefined, undefined)).toBeUndefined();
    expect(keysOf([{ size: '10', color: 'Black' }, { size: null, color: 'Black' }, { size: null, color: null }])).toEqual(['c:black', 's:10', 's:10|c:black']);
    const any = buildSearchSql(parse({ sizes: ['M'], in_stock_only: false }));
    expect(any.text).toContain('p.variant_keys && $1::text[]');
    expect(any.values[0]).toEqual(['s:m']);
  });

  it('drops the stock condition when out-of-stock items are wanted, and names statements by their text', () => {
    const a = buildSearchSql(parse({ in_stock_only: false, sort_by: 'newest' }));
    expect(a.text).not.toContain('available > 0');
    expect(a.text).toContain('order by created_at desc, id');
    expect(buildSearchSql(parse({ in_stock_only: false, sort_by: 'newest', page: 2 })).name).toBe(a.name);
    expect(buildSearchSql(parse({ sort_by: 'newest' })).name).not.toBe(a.name);
    expect(normaliseQuery('   ')).toBeNull();
  });
});

describe('productSvg', () => {
  it('is a deterministic, self-contained SVG that escapes text', () => {
    const svg = productSvg({ name: 'Salt & <Pepper> "Mill"', brand: "O'Brien", rootCategory: 'home', color: 'Blue' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Salt &amp; &lt;Pepper&gt; &quot;Mill&quot;');
    expect(svg).toContain('O&apos;Brien');
    expect(svg).not.toMatch(/href=|<script/);
    expect(svg).toContain('fill="#2f6fdb"');
    expect(productSvg({ name: 'Salt & <Pepper> "Mill"', brand: "O'Brien", rootCategory: 'home', color: 'Blue' })).toBe(svg);
  });

  it('wraps long names into two lines', () => {
    expect(wrapTitle('Pegasus 41 Road Running Shoe')).toEqual(['Pegasus 41 Road Running', 'Shoe']);
    const lines = wrapTitle('A very long product name that goes on and on and on beyond two lines');
    expect(lines).toHaveLength(2);
    expect(lines[1].endsWith('…')).toBe(true);
  });
});

describe('inventory rules', () => {
  it('merges lines of the same variant and orders them by id', () => {
    expect(mergeLines([{ variant_id: 'b', quantity: 1 }, { variant_id: 'a', quantity: 2 }, { variant_id: 'b', quantity: 3 }])).toEqual([
      { variant_id: 'a', quantity: 2 },
      { variant_id: 'b', quantity: 4 },
    ]);
  });

  it('names every short item in OUT_OF_STOCK', () => {
    const rows = new Map([
      ['a', { id: 'a', name: 'Trailblazer Limited Trail Shoe', size: '10', color: null, stock: 3, reserved: 1 }],
      ['b', { id: 'b', name: 'Classic Ceramic Coffee Mug', size: null, color: null, stock: 5, reserved: 5 }],
      ['c', { id: 'c', name: 'Plenty', size: null, color: null, stock: 100, reserved: 0 }],
    ]);
    const short = findShortages([{ variant_id: 'a', quantity: 3 }, { variant_id: 'b', quantity: 1 }, { variant_id: 'c', quantity: 5 }], rows);
    expect(short.map((s) => [s.variant_id, s.requested, s.available])).toEqual([['a', 3, 2], ['b', 1, 0]]);
    const err = outOfStock(short);
    expect(err.code).toBe('OUT_OF_STOCK');
    expect(err.message).toBe('Only 2 units of Trailblazer Limited Trail Shoe (size 10) available; Classic Ceramic Coffee Mug is out of stock');
    expect(err.details).toEqual({ items: short });
  });
});

describe('searchFromQueryString', () => {
  it('maps query-string values to the contract shape, leaving validation to the schema', () => {
    expect(searchFromQueryString({ q: 'mug', brands: 'A,B', sizes: ['10', '11,12'], in_stock_only: 'false', min_price: '500', per_page: '10', extra: 'x' })).toEqual({
      query: 'mug',
      brands: ['A', 'B'],
      sizes: ['10', '11', '12'],
      in_stock_only: false,
      min_price: 500,
      per_page: 10,
      extra: 'x',
    });
    expect(searchFromQueryString({ min_price: '-5', in_stock_only: 'maybe' })).toEqual({ min_price: -5, in_stock_only: 'maybe' });
  });
});
