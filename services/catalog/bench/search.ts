/**
 * Search benchmark: a fresh database with 100,000 generated products, the catalog service, and
 * search requests (text + filters + facets) over NATS at concurrency 1 and 32.
 * Run: npm run bench -w @shop/catalog   (BENCH_PRODUCTS / BENCH_REQUESTS override the sizes)
 */
import path from 'node:path';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { connect } from '@nats-io/transport-node';
import { catalogApi, type SearchRequest } from '@shop/contracts';
import { BusClient } from '@shop/kit';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start } from '@shop/catalog';
import { bulkLoad } from '@shop/catalog/bulk';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (dir !== path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).workspaces) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('repository root not found');
}
const products = Number(process.env.BENCH_PRODUCTS ?? 100_000);
const requestsPerRun = Number(process.env.BENCH_REQUESTS ?? 1_000);

// A mix a shopper would send: words, typos, filters, sorts, later pages.
const mix: SearchRequest[] = [
  { query: 'running shoes' },
  { query: 'pegasas' },
  { query: 'wireless headphones', max_price: 20_000 },
  { query: 'trail shoe', sizes: ['10'], colors: ['black'] },
  { query: 'yoga mat', sort_by: 'price_asc' },
  { query: 'sofa', category: 'furniture', sort_by: 'rating' },
  { query: 'rain jacket', brands: ['Ironpeak', 'Threadline'], sizes: ['M'] },
  { query: 'coffee', category: 'home' },
  { query: 'stridewell velocity', page: 2 },
  { query: 'hiking boot waterproof', min_price: 10_000, max_price: 20_000 },
  { query: 'bluetooth speaker', sort_by: 'newest' },
  { query: 'kettlebell' },
  { query: 'puzzle', category: 'toys', in_stock_only: false },
  { query: 'face cream', per_page: 10 },
  { query: 'headphnes' },
  { category: 'running-shoes', sizes: ['9'], sort_by: 'price_asc' },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function run(bus: BusClient, concurrency: number, total: number) {
  const latencies: number[] = [];
  const byQuery = mix.map(() => [] as number[]);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++ % mix.length;
        const t = performance.now();
        await bus.call(catalogApi.search, mix[i], { timeoutMs: 30_000 });
        const ms = performance.now() - t;
        latencies.push(ms);
        byQuery[i].push(ms);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  const perQuery = mix.map((req, i) => ({ request: req, p50_ms: round(percentile(byQuery[i].sort((a, b) => a - b), 50)) }));
  return { concurrency, requests: total, p50_ms: round(percentile(latencies, 50)), p95_ms: round(percentile(latencies, 95)), p99_ms: round(percentile(latencies, 99)), throughput_rps: Math.round(total / seconds), per_query: perQuery };
}

async function main() {
  const db = await freshDatabase('catalog_bench');
  const env = testEnv(db.url, freshPrefix(), { CATALOG_SEED: 'none', LOG_LEVEL: 'warn' });
  // The service migrates its empty database; the products are then loaded through its own pool.
  const svc = await start(env);
  const t = performance.now();
  await bulkLoad(svc.runtime.pool, products);
  const loadSeconds = (performance.now() - t) / 1000;
  const { rows } = await svc.runtime.pool.query('select (select count(*) from products)::int p, (select count(*) from variants)::int v');
  console.log(`loaded ${rows[0].p} products, ${rows[0].v} variants in ${loadSeconds.toFixed(1)} s`);
  const nc = await connect({ servers: env.NATS_URL });
  const bus = new BusClient(nc, env.NATS_PREFIX);
  try {
    const sample = await bus.call(catalogApi.search, mix[0]);
    console.log(`"${mix[0].query}": ${sample.page_info.total} matches, ${sample.facets.categories.length} category facets`);
    await run(bus, 8, mix.length * 20); // warm-up: plans prepared on every pooled connection, caches hot
    const results = [];
    for (const c of [1, 32]) {
      const r = await run(bus, c, c === 1 ? requestsPerRun : requestsPerRun * 3);
      console.log(`concurrency ${String(c).padStart(2)}: p50 ${r.p50_ms} ms  p95 ${r.p95_ms} ms  p99 ${r.p99_ms} ms  ${r.throughput_rps} req/s  (load average ${os.loadavg()[0].toFixed(1)})`);
      if (c === 1) for (const q of r.per_query) console.log(`  ${q.p50_ms.toFixed(1).padStart(7)} ms  ${JSON.stringify(q.request)}`);
      results.push(r);
    }
    const out = path.join(repoRoot(), 'bench/results/catalog-search.json');
    mkdirSync(path.dirname(out), { recursive: true });
    const report = { benchmark: 'catalog search over NATS (text + filters + facets)', at: new Date().toISOString(), products, load_seconds: Math.round(loadSeconds * 10) / 10, cpus: os.cpus().length, load_average: os.loadavg().map((n) => Math.round(n * 100) / 100), mix_size: mix.length, results };
    writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  } finally {
    await nc.drain();
    await svc.stop();
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
