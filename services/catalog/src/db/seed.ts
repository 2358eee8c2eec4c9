import type { Pool, PoolClient } from '@shop/kit';
import { withTransaction } from '@shop/kit';
import { categories as categoryDefs, SEED_EPOCH, type FeedItem } from '../domain/feed.js';
import { distinct, partitionFeed } from '../domain/loader.js';
import { keysOf } from '../domain/search.js';
import { insertCategories, type CategoryRow } from './categories.js';

type Queryable = Pick<PoolClient, 'query'>;

/** Writes accepted feed items (products + variants) in a few multi-row statements. */
export async function insertProducts(tx: Queryable, items: FeedItem[], categories: Map<string, CategoryRow>): Promise<void> {
  const products = items.map((p) => {
    const c = categories.get(p.categorySlug);
    if (!c) throw new Error(`unknown category ${p.categorySlug} for ${p.sku}`);
    const prices = p.variants.map((v) => v.price);
    const sizes = distinct(p.variants.map((v) => v.size));
    const colors = distinct(p.variants.map((v) => v.color));
    return {
      id: p.id,
      sku: p.sku,
      name: p.name,
      brand: p.brand,
      description: p.description,
      tags: p.tags,
      category_id: c.id,
      category_slugs: c.slugs,
      category_text: c.path.join(' '),
      price: Math.min(...prices),
      price_max: Math.max(...prices),
      // Tenths to a one-decimal text so no float rounding can creep into the stored rating.
      rating: `${Math.floor(p.ratingTenths / 10)}.${p.ratingTenths % 10}`,
      review_count: p.reviewCount,
      sizes,
      colors,
      variant_keys: keysOf(p.variants),
      available_keys: keysOf(p.variants.filter((v) => v.stock > 0)),
      available: p.variants.reduce((n, v) => n + v.stock, 0),
      created_at: new Date(SEED_EPOCH - p.ageDays * 86_400_000).toISOString(),
    };
  });
  await tx.query(
    `insert into products (id, sku, name, brand, description, tags, category_id, category_slugs, category_text, price, price_max,
                           rating, review_count, sizes, colors, variant_keys, available_keys, available, created_at, updated_at)
     select id, sku, name, brand, description, tags, category_id, category_slugs, category_text, price, price_max,
            rating, review_count, sizes, colors, variant_keys, available_keys, available, created_at, created_at
     from jsonb_to_recordset($1::jsonb) as x(id uuid, sku text, name text, brand text, description text, tags text[], category_id int,
          category_slugs text[], category_text text, price int, price_max int, rating numeric, review_count int, sizes text[], colors text[],
          variant_keys text[], available_keys text[], available int, created_at timestamptz)`,
    [JSON.stringify(products)],
  );
  const variants = items.flatMap((p) => p.variants.map((v) => ({ ...v, product_id: p.id })));
  await tx.query(
    `insert into variants (id, product_id, sku, size, color, price, stock)
     select id, product_id, sku, size, color, price, stock
     from jsonb_to_recordset($1::jsonb) as x(id uuid, product_id uuid, sku text, size text, color text, price int, stock int)`,
    [JSON.stringify(variants)],
  );
}

export interface SeedOutcome {
  seeded: boolean;
  products: number;
  refused: number;
}

/**
 * Loads the feed when the catalogue is empty: one transaction, serialised by an advisory lock so
 * two instances starting together seed once. Prohibited items are recorded, never inserted as products.
 */
export async function seedIfEmpty(pool: Pool, feed: FeedItem[]): Promise<SeedOutcome> {
  return withTransaction(pool, async (tx) => {
    await tx.query("select pg_advisory_xact_lock(hashtext('catalog.seed'))");
    const { rows } = await tx.query<{ n: number }>('select (select count(*) from products)::int + (select count(*) from categories)::int as n');
    if (rows[0].n > 0) return { seeded: false, products: 0, refused: 0 };
    const { accepted, refused } = partitionFeed(feed);
    const categories = await insertCategories(tx, categoryDefs);
    await insertProducts(tx, accepted, categories);
    await tx.query(
      `insert into refused_items (id, sku, name, reason)
       select id, sku, name, reason from jsonb_to_recordset($1::jsonb) as x(id uuid, sku text, name text, reason text)`,
      [JSON.stringify(refused.map((r) => ({ id: r.item.id, sku: r.item.sku, name: r.item.name, reason: r.reason })))],
    );
    return { seeded: true, products: accepted.length, refused: refused.length };
  });
}
