import { afterAll, beforeAll, expect, it } from 'vitest';
import { SearchRequest } from '@shop/contracts';
import { createPool, migrate, type Pool } from '@shop/kit';
import { freshDatabase } from '@shop/kit/testing';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bulkLoad } from '../src/db/bulk.js';
import { buildSearchSql } from '../src/domain/search.js';

const migrations = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');
let db: Awaited<ReturnType<typeof freshDatabase>>;
let pool: Pool;

beforeAll(async () => {
  db = await freshDatabase('catalog_plan');
  await migrate(db.url, migrations);
  pool = createPool(db.url, 2);
  await bulkLoad(pool, 20_000);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

async function planOf(req: unknown, mode: 'text' | 'fuzzy' = 'text'): Promise<PlanNode[]> {
  const sql = buildSearchSql(SearchRequest.parse(req), mode);
  const { rows } = await pool.query(`explain (format json) ${sql.text}`, sql.values);
  return nodesOf(rows[0]['QUERY PLAN'][0].Plan);
}
const indexesUsed = (nodes: PlanNode[]) => nodes.map((n) => n['Index Name']).filter(Boolean);
const scansProducts = (nodes: PlanNode[]) => nodes.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'products');

it('uses the full-text GIN index for a text search (typo-corrected or not) on a large table', async () => {
  const text = await planOf({ query: 'running shoes' });
  expect(indexesUsed(text)).toContain('product_search_search_idx');
  expect(scansProducts(text)).toBe(false);
  const fuzzy = await planOf({ query: 'pegasas' }, 'fuzzy');
  expect(indexesUsed(fuzzy)).toContain('product_search_search_idx');
  expect(scansProducts(fuzzy)).toBe(false);
  // Sizes and colours are filtered by the keys on products, so that search matches there.
  const filtered = await planOf({ query: 'trail shoe', brands: ['Summitcraft'], sizes: ['10'] });
  expect(indexesUsed(filtered)).toContain('products_search_idx');
  expect(scansProducts(filtered)).toBe(false);
});

it('keeps the narrow search copy equal to the products through every kind of write', async () => {
  const copied = 'id, active, available, facet_id, price, rating, review_count, created_at, brand_lc, category_slugs, search';
  const apart = async () =>
    (await pool.query<{ n: number }>(`select count(*)::int n from (select ${copied} from products) p full join (select ${copied} from product_search) s using (id)
       where s.id is null or p.id is null or (p.*) is distinct from (s.*)`)).rows[0].n;
  expect(await apart()).toBe(0);
  const { rows: picked } = await pool.query<{ id: string }>('select id from products order by id limit 3');
  const [a, b, c] = picked.map((r) => r.id);
  await pool.query("update products set name = 'Quasarquill Lantern', rating = 4.9, active = false where id = $1", [a]);
  await pool.query('update variants set stock = 0 where product_id = $1', [b]);
  await pool.query('update variants set price = price + 100 where product_id = $1', [b]);
  await pool.query('delete from variants where product_id = $1', [c]);
  await pool.query('delete from products where id = $1', [c]);
  expect(await apart()).toBe(0);
  const found = async (query: string) => {
    const sql = buildSearchSql(SearchRequest.parse({ query, in_stock_only: false }));
    return (await pool.query(sql.text, sql.values)).rows[0].total;
  };
  expect(await found('quasarquill')).toBe(0); // inactive
  await pool.query('update products set active = true where id = $1', [a]);
  expect(await found('quasarquill')).toBe(1);
});

it('corrects misspelt words from the word dictionary of a large catalogue', async () => {
  const { rows } = await pool.query("select catalog_correct_query('wireles headphnes') q, (select count(*)::int from search_words) words");
  expect(rows[0].q).toBe('wireless headphones');
  // Numbers (model numbers) stay out, so the dictionary stays small however many products there are.
  expect(rows[0].words).toBeLessThan(1_000);
});

it('uses the category index for a category filter', async () => {
  const plan = await planOf({ category: 'trail-shoes', in_stock_only: false });
  expect(indexesUsed(plan)).toContain('products_category_slugs_idx');
  expect(scansProducts(plan)).toBe(false);
});

it('counts facets exactly over every match of a broad search (checked against a direct count)', async () => {
  const sql = buildSearchSql(SearchRequest.parse({ query: 'running shoes' }));
  const { rows } = await pool.query(sql.text, sql.values);
  const r = rows[0];
  const where = `search @@ websearch_to_tsquery('english', 'running shoes') and active and available > 0`;
  const direct = async (q: string) => (await pool.query(q)).rows;
  expect(r.total).toBe((await direct(`select count(*)::int n from products where ${where}`))[0].n);
  expect(r.total).toBeGreaterThan(1_000);
  expect(r.brands).toEqual(
    (await direct(`select brand, count(*)::int n from products where ${where} group by brand order by n desc, brand limit 50`)).map((b) => ({ value: b.brand, label: b.brand, count: b.n })),
  );
  expect(r.categories.map((c: { value: string; count: number }) => [c.value, c.count])).toEqual(
    (await direct(`select c.slug, count(*)::int n from products p join categories c on c.id = p.category_id where ${where} group by c.slug, c.name order by n desc, c.name`)).map((c) => [c.slug, c.n]),
  );
  expect(r.sizes.map((s: { value: string; count: number }) => [s.value, s.count])).toEqual(
    (await direct(`select s, count(*)::int n from products, unnest(sizes) s where ${where} group by s order by n desc, s limit 50`)).map((s) => [s.s, s.n]),
  );
  expect(r.colors.map((c: { value: string; count: number }) => [c.value, c.count])).toEqual(
    (await direct(`select c, count(*)::int n from products, unnest(colors) c where ${where} group by c order by n desc, c limit 50`)).map((c) => [c.c, c.n]),
  );
  const [range] = await direct(`select min(price) lo, max(price) hi from products where ${where}`);
  expect([r.price_min, r.price_max]).toEqual([range.lo, range.hi]);
});

it('gives a product with a new category, brand, sizes and colours its own facet combination', async () => {
  const { rows } = await pool.query(
    `update products set brand = 'Brand New Co', sizes = '{XXS}', colors = '{Ultraviolet}'
     where id = (select id from products order by id limit 1)
     returning facet_id`,
  );
  const [combo] = (await pool.query('select brand, sizes, colors from facet_combos where id = $1', [rows[0].facet_id])).rows;
  expect(combo).toEqual({ brand: 'Brand New Co', sizes: ['XXS'], colors: ['Ultraviolet'] });
});
