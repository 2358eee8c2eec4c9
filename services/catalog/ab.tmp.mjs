import pg from 'pg';
import { SearchRequest } from '@shop/contracts';
import { buildSearchSql } from './dist/domain/search.js';
const a = new pg.Client('postgres://postgres@127.0.0.1:5432/catalog_scratch'); await a.connect();
const b = new pg.Client('postgres://postgres@127.0.0.1:5432/catalog_scratch'); await b.connect();
await b.query('set plan_cache_mode = force_generic_plan');
const mix = [
  { query: 'running shoes' }, { query: 'wireless headphones', max_price: 20_000 },
  { query: 'trail shoe', sizes: ['10'], colors: ['black'] }, { query: 'yoga mat', sort_by: 'price_asc' },
  { query: 'sofa', category: 'furniture', sort_by: 'rating' }, { query: 'kettlebell' }, { query: 'face cream', per_page: 10 },
  { category: 'running-shoes', sizes: ['9'], sort_by: 'price_asc' },
];
const ta = [], tb = [];
for (let round = 0; round < 8; round++) for (const r of mix) {
  const sql = buildSearchSql(SearchRequest.parse(r));
  for (const [c, arr] of [[a, ta], [b, tb]]) { const t = performance.now(); await c.query({ name: sql.name, text: sql.text, values: sql.values }); if (round >= 2) arr.push(performance.now() - t); }
}
const sum = (x) => x.reduce((s, v) => s + v, 0);
console.log('custom/auto total ms', sum(ta).toFixed(0), 'generic total ms', sum(tb).toFixed(0));
await a.end(); await b.end();
