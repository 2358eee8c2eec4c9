import { withTransaction, type Pool } from '@shop/kit';
import { bulkFeed, categories } from '../domain/feed.js';
import { insertCategories } from './categories.js';
import { insertProducts } from './seed.js';

/**
 * Loads n generated products into an empty catalogue for benchmarks and plan tests. Secondary
 * indexes are dropped during the load and rebuilt afterwards (a bulk build is much faster than
 * row-by-row GIN maintenance); the definitions come from the database, so they stay the migration's.
 */
export async function bulkLoad(pool: Pool, n: number, batch = 5_000): Promise<void> {
  await withTransaction(pool, async (tx) => {
    const { rows: indexes } = await tx.query<{ name: string; def: string }>(
      `select i.indexname name, i.indexdef def from pg_indexes i
       where i.schemaname = current_schema() and i.tablename in ('products', 'product_search', 'variants')
         and i.indexname not in (select conname from pg_constraint)`,
    );
    for (const i of indexes) await tx.query(`drop index ${i.name}`);
    const cats = await insertCategories(tx, categories);
    for (let offset = 0; offset < n; offset += batch) await insertProducts(tx, bulkFeed(Math.min(batch, n - offset), offset), cats);
    await tx.query("set local maintenance_work_mem = '256MB'");
    for (const i of indexes) await tx.query(i.def);
  });
  await pool.query('analyze products; analyze product_search; analyze variants; analyze categories');
}
