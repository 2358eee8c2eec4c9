/**
 * Load run for the whole system (`npm run bench`): real MCP sessions with a store's traffic mix
 * (search 10, details 6, add to cart 3, view cart 3, checkout flow 1) at several concurrencies,
 * each bounded in time. Prints per-tool latency percentiles, errors and throughput, and orders
 * per second; writes the same figures to bench/results/system-load.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@shop/launcher';
import { createPool } from '@shop/kit';
import { bulkLoad } from '@shop/catalog/bulk';
import { Shopper } from './shopper.js';
import { e2eStack } from './stack.js';

const levels = (process.env.BENCH_CONCURRENCY ?? '1,16,64,256').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const mix: Array<[string, number]> = [
  ['search_products', 10],
  ['get_product_details', 6],
  ['add_to_cart', 3],
  ['view_cart', 3],
  ['checkout', 1],
];
const totalWeight = mix.reduce((s, [, w]) => s + w, 0);
const queries = ['running shoes', 'jacket', 'lamp', 'headphones', 'tent', 'mug', 'backpack', 'chair', 'serum', 'puzzle'];
const address = { name: 'Load Tester', line1: '1 Bench Way', city: 'Austin', state: 'TX', postal_code: '78701', country: 'US' };

interface Sample {
  tool: string;
  ms: number;
  error?: string;
}

function pick<T>(items: T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

function chooseAction(): string {
  let r = Math.random() * totalWeight;
  for (const [name, w] of mix) {
    if ((r -= w) < 0) return name;
  }
  return 'search_products';
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function virtualShopper(shopper: Shopper, deadline: number, products: Array<{ id: string; sizes: string[]; colors: string[] }>, samples: Sample[], orders: { count: number }) {
  const timed = async (tool: string, args: Record<string, unknown>) => {
    const t = performance.now();
    let error: string | undefined;
    try {
      const out = await shopper.call(tool, args);
      if (out.isError) error = out.text.slice(0, 80);
      return out;
    } catch (e) {
      error = (e as Error).message.slice(0, 80);
      return undefined;
    } finally {
      samples.push({ tool, ms: performance.now() - t, error });
    }
  };
  while (Date.now() < deadline) {
    const action = chooseAction();
    const product = pick(products);
    if (action === 'search_products') await timed('search_products', { query: pick(queries), per_page: 20 });
    else if (action === 'get_product_details') await timed('get_product_details', { product_id: product.id });
    else if (action === 'add_to_cart') await timed('add_to_cart', { product_id: product.id, quantity: 1, ...(product.sizes.length ? { size: pick(product.sizes) } : {}), ...(product.colors.length ? { color: pick(product.colors) } : {}) });
    else if (action === 'view_cart') await timed('view_cart', {});
    else {
      const cart = await timed('view_cart', {});
      if (!cart || cart.isError || !cart.data.cart?.lines?.length) {
        const added = await timed('add_to_cart', { product_id: product.id, quantity: 1, ...(product.sizes.length ? { size: product.sizes[0] } : {}), ...(product.colors.length ? { color: product.colors[0] } : {}) });
        // A shopper whose item just sold out does not try to pay for an empty cart.
        if (!added || added.isError) continue;
      }
      await timed('update_checkout', { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true });
      const placed = await timed('place_order', {});
      if (placed && !placed.isError) orders.count++;
    }
  }
  await shopper.close();
}

async function main() {
  // The catalogue the targets name: 100,000 generated products (BENCH_PRODUCTS=0 keeps the sample store).
  const catalogSize = Number(process.env.BENCH_PRODUCTS ?? 100_000);
  const sut = await e2eStack({
    serviceEnv: { 'mcp-gateway': { RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '1000000', MCP_MAX_SESSIONS_PER_IP: '100000', MCP_MAX_SESSIONS: '100000' }, ...(catalogSize ? { catalog: { CATALOG_SEED: 'none' } } : {}) },
  });
  const results: Record<string, unknown>[] = [];
  try {
    if (catalogSize && sut.stack) {
      const t = performance.now();
      const pool = createPool(sut.stack.databaseUrlFor('catalog'), 2);
      await bulkLoad(pool, catalogSize);
      await pool.end();
      console.log(`loaded ${catalogSize} products in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const probe = await new Shopper(sut.mcpUrl, { name: 'probe' }).connect();
    const products: Array<{ id: string; sizes: string[]; colors: string[] }> = [];
    for (const q of queries) {
      const found = await probe.ok('search_products', { query: q, per_page: 20 });
      for (const p of found.data.items) products.push({ id: p.id, sizes: p.sizes, colors: p.colors });
    }
    await probe.close();
    console.log(`\nLoad mix over ${products.length} products, ${seconds}s per level, MCP at ${sut.mcpUrl}\n`);
    for (const concurrency of levels) {
      const samples: Sample[] = [];
      const connects: number[] = [];
      const orders = { count: 0 };
      // Sessions are opened first and timed on their own: a burst of MCP handshakes is a different
      // cost from the steady traffic the per-tool figures describe.
      const connectStarted = performance.now();
      const shoppers = await Promise.all(
        Array.from({ length: concurrency }, async () => {
          const t = performance.now();
          const shopper = await new Shopper(sut.mcpUrl, { name: 'load' }).connect();
          connects.push(performance.now() - t);
          return shopper;
        }),
      );
      const connectWall = performance.now() - connectStarted;
      const started = Date.now();
      const deadline = started + seconds * 1000;
      await Promise.all(shoppers.map((shopper) => virtualShopper(shopper, deadline, products, samples, orders).catch((e) => samples.push({ tool: 'session', ms: 0, error: String(e).slice(0, 80) }))));
      const elapsed = (Date.now() - started) / 1000;
      const tools = [...new Set(samples.map((s) => s.tool))].sort();
      const connectSorted = connects.sort((a, b) => a - b);
      console.log(`concurrency ${concurrency}: ${samples.length} calls in ${elapsed.toFixed(1)} s, ${(samples.length / elapsed).toFixed(1)} calls/s, ${(orders.count / elapsed).toFixed(2)} orders/s`);
      console.log(`  ${concurrency} sessions opened in ${(connectWall / 1000).toFixed(2)} s (handshake p50 ${percentile(connectSorted, 50).toFixed(1)} ms, p99 ${percentile(connectSorted, 99).toFixed(1)} ms)`);
      console.log(`  ${'tool'.padEnd(22)}${'calls'.padStart(7)}${'errors'.padStart(8)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'calls/s'.padStart(9)}`);
      const perTool: Record<string, unknown> = {};
      for (const tool of tools) {
        const own = samples.filter((s) => s.tool === tool);
        const ms = own.map((s) => s.ms).sort((a, b) => a - b);
        const errors = own.filter((s) => s.error);
        const row = { calls: own.length, errors: errors.length, p50: +percentile(ms, 50).toFixed(1), p95: +percentile(ms, 95).toFixed(1), p99: +percentile(ms, 99).toFixed(1), per_second: +(own.length / elapsed).toFixed(1), error_kinds: [...new Set(errors.map((e) => e.error))].slice(0, 5) };
        perTool[tool] = row;
        console.log(`  ${tool.padEnd(22)}${String(row.calls).padStart(7)}${String(row.errors).padStart(8)}${row.p50.toFixed(1).padStart(9)}${row.p95.toFixed(1).padStart(9)}${row.p99.toFixed(1).padStart(9)}${row.per_second.toFixed(1).padStart(9)}`);
        for (const kind of row.error_kinds) console.log(`      error: ${kind}`);
      }
      results.push({ concurrency, sessions_opened_seconds: +(connectWall / 1000).toFixed(2), handshake_p50: +percentile(connectSorted, 50).toFixed(1), handshake_p99: +percentile(connectSorted, 99).toFixed(1), seconds: elapsed, calls: samples.length, orders: orders.count, orders_per_second: +(orders.count / elapsed).toFixed(2), tools: perTool });
      console.log('');
    }
  } finally {
    await sut.stop();
  }
  const dir = path.join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'system-load.json'), JSON.stringify({ at: new Date().toISOString(), products: catalogSize || 'sample', mix: Object.fromEntries(mix), levels: results }, null, 2));
  console.log(`figures written to ${path.join('bench', 'results', 'system-load.json')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
