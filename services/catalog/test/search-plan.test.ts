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
  expect(indexesUsed(text)).toContain('products_search_idx');
  expect(scansProducts(text)).toBe(false);
  const fuzzy = await planOf({ query: 'pegasas' }, 'fuzzy');
  expect(indexesUsed(fuzzy)).toContain('products_search_idx');
  expect(scansProducts(fuzzy)).toBe(false);
  const filtered = await planOf({ query: 'trail shoe', brands: ['Summitcraft'], sizes: ['10'] });
  expect(scansProducts(filtered)).toBe(false);
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
