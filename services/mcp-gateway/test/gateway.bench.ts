import { afterAll, bench, describe } from 'vitest';
import { connectClient, ok, startTestStack, type TestStack } from './support/stack.js';

/**
 * Gateway latency through the official MCP client over HTTP, against the real services in this
 * process. Run: `npx vitest bench --run services/mcp-gateway` (prints ops/s and percentiles).
 */
let stack: TestStack;
let client: Awaited<ReturnType<typeof connectClient>>;
let productId: string;
let cartId: string;
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

// Benchmark files run their hooks unreliably, so the stack starts at import and stops after the last bench.
stack = await startTestStack({ gatewayEnv: { RATE_LIMIT_PER_MINUTE: '100000' } });
client = await connectClient(stack.mcpUrl, { 'openai/session': 'bench-conv', 'openai/subject': 'bench-user' });
productId = ok(await client.call('search_products', { query: 'Pegasus 41' })).items[0].id;
cartId = ok(await client.call('add_to_cart', { product_id: productId, size: '10', color: 'Black' })).cart_id;
afterAll(async () => {
  await client.close();
  await stack.stop();
});

describe('mcp-gateway', () => {

  const opts = { time: 3_000, warmupTime: 500 };
  // Mostly the SDK client compiling a validator per output schema, not the gateway.
  bench('tools/list via SDK Client (client compiles validators)', async () => {
    await client.client.listTools();
  }, opts);
  bench('tools/list (stateless request)', async () => {
    const res = await fetch(stack.mcpUrl, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }) });
    await res.text();
  }, opts);
  bench('search_products "running shoes" ≤ $100', async () => {
    ok(await client.call('search_products', { query: 'running shoes', max_price: 100 }));
  }, opts);
  bench('get_product_details', async () => {
    ok(await client.call('get_product_details', { product_id: productId }));
  }, opts);
  bench('view_cart (conversation key)', async () => {
    ok(await client.call('view_cart'));
  }, opts);
  bench('view_cart (explicit session_id)', async () => {
    ok(await client.call('view_cart', { session_id: cartId }));
  }, opts);
  bench('refused argument (schema only)', async () => {
    await client.call('search_products', { min_price: -1 });
  }, opts);
});
