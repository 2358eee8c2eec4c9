// Placement benchmark: N shoppers place orders through the real catalog, cart, payments and orders
// services (in-process, fresh databases), C at a time. Prints latency percentiles and throughput.
// Run after a build: node services/orders/bench/place.mjs [N=200] [C=10]
import { randomBytes } from 'node:crypto';
import { cartApi, catalogApi, ordersApi } from '@shop/contracts';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';

const total = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 10);
const prefix = freshPrefix();
const names = ['catalog', 'cart', 'payments', 'orders'];
const dbs = await Promise.all(names.map((n) => freshDatabase(`bench_${n}`)));
const services = [];
for (const [i, name] of names.entries()) {
  const mod = await import(name === 'orders' ? '../dist/main.js' : `@shop/${name}`);
  services.push(await mod.start(testEnv(dbs[i].url, prefix, { LOG_LEVEL: 'silent' })));
}
const bus = services[3].runtime.bus;
const address = { name: 'Bench Shopper', line1: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const found = await bus.call(catalogApi.search, { in_stock_only: true, per_page: 20 });
const variants = [];
for (const p of found.items) {
  const d = await bus.call(catalogApi.get, { product_id: p.id });
  for (const v of d.variants) if (v.available > 0) variants.push({ product_id: p.id, variant_id: v.id });
}

const run = randomBytes(3).toString('hex');
async function prepare(i) {
  const caller = { subject: `bench-${run}-${i}` };
  const cart = await bus.call(cartApi.resolve, { caller });
  const item = variants[i % variants.length];
  await bus.call(cartApi.addLine, { cart_id: cart.id, caller, ...item, quantity: 1 });
  await bus.call(cartApi.updateCheckout, { cart_id: cart.id, caller, shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true });
  return { cart_id: cart.id, caller };
}
const carts = [];
for (let i = 0; i < total; i += 20) carts.push(...(await Promise.all(Array.from({ length: Math.min(20, total - i) }, (_, k) => prepare(i + k)))));

const latencies = [];
const outcomes = {};
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < carts.length) {
      const c = carts[next++];
      const t0 = performance.now();
      const status = await bus
        .call(ordersApi.place, { ...c, idempotency_key: `bench-${c.cart_id}` }, { timeoutMs: 60_000 })
        .then((o) => o.status, (e) => e.code);
      latencies.push(performance.now() - t0);
      outcomes[status] = (outcomes[status] ?? 0) + 1;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
console.log(`orders.place: ${total} orders, concurrency ${concurrency}`);
console.log(`  outcomes: ${JSON.stringify(outcomes)}`);
console.log(`  latency ms: p50 ${pct(50)}  p90 ${pct(90)}  p99 ${pct(99)}  max ${latencies.at(-1).toFixed(1)}`);
console.log(`  throughput: ${(total / seconds).toFixed(1)} orders/s`);

for (const s of services.reverse()) await s.stop();
await Promise.all(dbs.map((d) => d.drop()));
