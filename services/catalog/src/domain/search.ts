import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { SearchRequest, SortBy } from '@shop/contracts';

export type ParsedSearch = z.output<typeof SearchRequest>;

/** `text`: full-text search; `fuzzy`: the same after typo correction, run only when `text` found nothing. */
export type SearchMode = 'text' | 'fuzzy';

export interface SearchSql {
  /** Prepared-statement name: one per distinct SQL text, so each shape is planned once per connection. */
  name: string;
  text: string;
  values: unknown[];
  page: number;
  perPage: number;
  query: string | null;
}

/** Whitespace collapsed; null when nothing is left to search for. */
export function normaliseQuery(query: string | undefined): string | null {
  const q = (query ?? '').replace(/\s+/g, ' ').trim();
  return q.length ? q : null;
}

const lowerSet = (values: string[] | undefined) => (values?.length ? [...new Set(values.map((v) => v.trim().toLowerCase()))] : undefined);

// Every ordering ends with the id so pages never overlap or skip rows with equal keys.
const orderBy: Record<SortBy, string> = {
  relevance: 'rank desc, rating desc, review_count desc, id',
  price_asc: 'price asc, id',
  price_desc: 'price desc, id',
  rating: 'rating desc, review_count desc, id',
  newest: 'created_at desc, id',
};

/** "price desc, id" → "page.price desc, page.id" */
const qualify = (order: string, alias: string) =>
  order
    .split(', ')
    .map((key) => `${alias}.${key}`)
    .join(', ');

/**
 * Builds the one statement that answers a search: the matching set (text + filters), the page
 * of summaries, the total and every facet, so a search is a single round trip.
 * Text matching is full-text search (weighted tsvector, GIN index, ts_rank). Only when that finds
 * nothing does the caller run the `fuzzy` form (each unknown word corrected to the nearest word of
 * the catalogue by trigram similarity, then full-text search), so a typo ("pegasas") still finds
 * Pegasus while ordinary queries never pay for it.
 */
export function buildSearchSql(req: ParsedSearch, mode: SearchMode = 'text'): SearchSql {
  const values: unknown[] = [];
  const param = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  const filters: string[] = ['p.active'];
  const query = normaliseQuery(req.query);
  const q = query ? param(query) : undefined;
  if (req.category) filters.push(`p.category_slugs @> array[${param(req.category.toLowerCase())}]::text[]`);
  if (req.min_price !== undefined) filters.push(`p.price >= ${param(req.min_price)}`);
  if (req.max_price !== undefined) filters.push(`p.price <= ${param(req.max_price)}`);
  const brands = lowerSet(req.brands);
  if (brands) filters.push(`p.brand_lc = any(${param(brands)}::text[])`);
  // In stock with a size/colour filter means that size/colour itself is available, not just any variant.
  const keys = filterKeys(lowerSet(req.sizes), lowerSet(req.colors));
  if (keys) filters.push(`p.${req.in_stock_only ? 'available_keys' : 'variant_keys'} && ${param(keys)}::text[]`);
  else if (req.in_stock_only) filters.push('p.available > 0');
  const order = orderBy[req.sort_by];
  const limit = param(req.per_page);
  const offset = param((req.page - 1) * req.per_page);
  // Narrow rows in m: only what sorting and facets need; the page's other columns are joined by id.
  // Scoring every match costs time; it is only worth it when the order depends on it.
  const relevance = req.sort_by === 'relevance';
  let match = 'true';
  let rank = '0::real';
  if (q) {
    // The fuzzy form is the same full-text search after correcting misspelt words to the nearest
    // words of the catalogue (catalog_correct_query: pg_trgm over a small dictionary).
    const text = mode === 'text' ? q : `catalog_correct_query(${q})`;
    // A scalar subquery is evaluated once per execution; the bare call would be re-parsed for every
    // row under a generic plan of the prepared statement (rechecks and ranking).
    const tsq = `(select websearch_to_tsquery('english', ${text}))`;
    match = `p.search @@ ${tsq}`;
    if (relevance) rank = `ts_rank(p.search, ${tsq})`;
  }
  // A text search without size or colour filters matches in product_search, the narrow copy of
  // the columns read here (a third of the pages of products to visit for a broad query); the size
  // and colour keys live only on products, whose GIN indexes also serve the searches without text.
  const table = q && !keys ? 'product_search' : 'products';
  const matched = `m as materialized (
  select p.id, p.facet_id, p.price, p.rating, p.review_count, p.created_at, ${rank} as rank
  from ${table} p
  where ${[match, ...filters].join('\n    and ')}
)`;
  // Every facet, the total and the price range come from one pass over the matches grouped by
  // facet_id (one int per distinct category, brand, sizes and colours), then rolled up from those
  // few groups; sizes and colours are unnested only there, weighted by the group counts.
  const text = `with ${matched},
page as (select id, rank, rating, review_count, price, created_at from m order by ${order} limit ${limit} offset ${offset}),
g as materialized (
  select fc.category_id, fc.brand, fc.sizes, fc.colors, f.n, f.price_min, f.price_max
  from (select facet_id, count(*)::int n, min(price) price_min, max(price) price_max from m group by facet_id) f
  join facet_combos fc on fc.id = f.facet_id
)
select
  coalesce((select sum(n)::int from g), 0) as total,
  (select coalesce(json_agg(json_build_object('id', p.id, 'name', p.name, 'brand', p.brand, 'category_id', p.category_id,
      'price', p.price, 'price_max', p.price_max, 'rating', p.rating, 'review_count', p.review_count, 'available', p.available,
      'sizes', p.sizes, 'colors', p.colors, 'tags', p.tags) order by ${qualify(order, 'page')}), '[]'::json)
     from page join products p on p.id = page.id) as items,
  (select coalesce(json_agg(json_build_object('value', c.slug, 'label', c.name, 'count', f.n) order by f.n desc, c.name), '[]'::json)
     from (select category_id, sum(n)::int n from g group by category_id) f join categories c on c.id = f.category_id) as categories,
  (select coalesce(json_agg(json_build_object('value', f.brand, 'label', f.brand, 'count', f.n) order by f.n desc, f.brand), '[]'::json)
     from (select brand, sum(n)::int n from g group by brand order by n desc, brand limit 50) f) as brands,
  (select coalesce(json_agg(json_build_object('value', f.s, 'label', f.s, 'count', f.n) order by f.n desc, f.s), '[]'::json)
     from (select s, sum(g.n)::int n from g, unnest(g.sizes) s group by s order by n desc, s limit 50) f) as sizes,
  (select coalesce(json_agg(json_build_object('value', f.c, 'label', f.c, 'count', f.n) order by f.n desc, f.c), '[]'::json)
     from (select c, sum(g.n)::int n from g, unnest(g.colors) c group by c order by n desc, c limit 50) f) as colors,
  (select min(price_min) from g) as price_min,
  (select max(price_max) from g) as price_max`;
  const name = `search_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  return { name, text, values, page: req.page, perPage: req.per_page, query };
}

/** The filter keys of one variant; must equal the SQL function catalog_variant_keys (tested). */
export function variantKeys(size: string | null, color: string | null): string[] {
  const keys: string[] = [];
  if (size !== null) keys.push(`s:${size.toLowerCase()}`);
  if (color !== null) keys.push(`c:${color.toLowerCase()}`);
  if (size !== null && color !== null) keys.push(`s:${size.toLowerCase()}|c:${color.toLowerCase()}`);
  return keys;
}

/** Keys of which a product must have at least one: any asked size in any asked colour. */
export function filterKeys(sizes: string[] | undefined, colors: string[] | undefined): string[] | undefined {
  if (sizes && colors) return sizes.flatMap((s) => colors.map((c) => `s:${s}|c:${c}`));
  if (sizes) return sizes.map((s) => `s:${s}`);
  if (colors) return colors.map((c) => `c:${c}`);
  return undefined;
}

/** Distinct keys of a set of variants, sorted. */
export function keysOf(variants: Array<{ size: string | null; color: string | null }>): string[] {
  return [...new Set(variants.flatMap((v) => variantKeys(v.size, v.color)))].sort();
}
