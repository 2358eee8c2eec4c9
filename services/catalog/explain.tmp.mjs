import pg from 'pg';
import { SearchRequest } from '@shop/contracts';
import { buildSearchSql } from './dist/domain/search.js';
const c = new pg.Client('postgres://postgres@127.0.0.1:5432/catalog_scratch'); await c.connect();
const reqs = JSON.parse(process.argv[2]);
for (const r of reqs) {
  const sql = buildSearchSql(SearchRequest.parse(r));
  const { rows } = await c.query(`explain (analyze, buffers, format text) ${sql.text}`, sql.values);
  const lines = rows.map(x => x['QUERY PLAN']);
  console.log(JSON.stringify(r), lines.at(-1), lines.at(-2));
  if (process.env.FULL) console.log(lines.join('\n'));
}
await c.end();
