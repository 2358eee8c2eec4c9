import pg from 'pg';
import { SearchRequest } from '@shop/contracts';
import { buildSearchSql } from './dist/domain/search.js';
const c = new pg.Client('postgres://postgres@127.0.0.1:5432/catalog_scratch'); await c.connect();
const r = JSON.parse(process.argv[2]);
const sql = buildSearchSql(SearchRequest.parse(r));
let best;
for (let i = 0; i < 6; i++) {
  const { rows } = await c.query(`explain (analyze, format json) ${sql.text}`, sql.values);
  const plan = rows[0]['QUERY PLAN'][0];
  if (!best || plan['Execution Time'] < best['Execution Time']) best = plan;
}
const walk = (n, d = 0) => { console.log(' '.repeat(d * 2) + n['Node Type'] + (n['Subplan Name'] ? ' [' + n['Subplan Name'] + ']' : '') + (n['Relation Name'] ? ' ' + n['Relation Name'] : '') + (n['Index Name'] ? ' ' + n['Index Name'] : '') + ' rows=' + n['Actual Rows'] + ' t=' + n['Actual Total Time']); for (const k of n.Plans ?? []) if (d < 3) walk(k, d + 1); };
console.log('exec', best['Execution Time'], 'plan', best['Planning Time']);
walk(best.Plan);
await c.end();
