import pg from 'pg';
import { SearchRequest } from '@shop/contracts';
import { buildSearchSql } from './dist/domain/search.js';
const c = new pg.Client('postgres://postgres@127.0.0.1:5432/catalog_scratch'); await c.connect();
const mix = [
  { query: 'running shoes' }, { query: 'pegasas' }, { query: 'wireless headphones', max_price: 20_000 },
  { query: 'trail shoe', sizes: ['10'], colors: ['black'] }, { query: 'yoga mat', sort_by: 'price_asc' },
  { query: 'sofa', category: 'furniture', sort_by: 'rating' }, { query: 'rain jacket', brands: ['Ironpeak', 'Threadline'], sizes: ['M'] },
  { query: 'coffee', category: 'home' }, { query: 'stridewell velocity', page: 2 }, { query: 'hiking boot waterproof', min_price: 10_000, max_price: 20_000 },
  { query: 'bluetooth speaker', sort_by: 'newest' }, { query: 'kettlebell' }, { query: 'puzzle', category: 'toys', in_stock_only: false },
  { query: 'face cream', per_page: 10 }, { query: 'headphnes' }, { category: 'running-shoes', sizes: ['9'], sort_by: 'price_asc' },
];
for (const r of mix) {
  const sql = buildSearchSql(SearchRequest.parse(r));
  const ts = [];
  let total;
  for (let i = 0; i < 7; i++) { const t = performance.now(); const res = await c.query({ name: sql.name, text: sql.text, values: sql.values }); ts.push(performance.now() - t); total = res.rows[0].total; }
  ts.sort((a, b) => a - b);
  console.log(JSON.stringify(r).padEnd(80), 'total', String(total).padStart(6), 'median ms', ts[3].toFixed(1));
}
await c.end();
