import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { serviceHeaders, TEST_API_TOKENS } from '@shop/kit/testing';
import { connectClient, ok, startTestStack, type TestStack } from './support/stack.js';

// The SDK with an in-memory exporter, registered before any service starts: the gateway, cart and
// catalog run in this process, so every span of a call lands here, named by its service's scope.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

describe('one add_to_cart is one trace, with a span per hop, and every process counts it', () => {
  let stack: TestStack;
  let client: Awaited<ReturnType<typeof connectClient>>;
  beforeAll(async () => {
    stack = await startTestStack({ services: ['catalog', 'cart'], gatewayEnv: { API_TOKENS: TEST_API_TOKENS } });
    client = await connectClient(stack.mcpUrl, { 'openai/session': `conv_trace_${randomBytes(4).toString('hex')}` });
  });
  afterAll(async () => {
    await client?.close();
    await stack?.stop();
    await provider.shutdown();
  });

  it('gateway tool → cart over NATS → catalog over NATS → PostgreSQL, parent to child, one trace id', async () => {
    const found = ok(await client.call('search_products', { query: 'running shoes' }));
    const product = found.items.find((p: { sizes: string[] }) => p.sizes.length) ?? found.items[0];
    exporter.reset();
    ok(await client.call('add_to_cart', { product_id: product.id, quantity: 1, ...(product.sizes.length ? { size: product.sizes[0] } : {}), ...(product.colors.length ? { color: product.colors[0] } : {}) }));
    // A server span ends just after its reply is sent: give the last one a moment.
    await new Promise((r) => setTimeout(r, 100));
    const spans = exporter.getFinishedSpans();

    const roots = spans.filter((s) => s.name === 'tool add_to_cart');
    expect(roots).toHaveLength(1);
    const root = roots[0];
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.instrumentationScope.name).toBe('mcp-gateway');
    const traceId = root.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const childOf = (parent: ReadableSpan, test: (s: ReadableSpan) => boolean) => inTrace.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId && test(s));

    const [cartCall] = childOf(root, (s) => s.name.startsWith('call cart.'));
    expect(cartCall, 'the gateway calls cart over NATS').toBeDefined();
    const subject = cartCall.name.slice('call '.length);
    const [cartHandle] = childOf(cartCall, (s) => s.name === `handle ${subject}`);
    expect(cartHandle, 'cart handles it, continuing the trace from the NATS headers').toBeDefined();
    expect(cartHandle.instrumentationScope.name).toBe('cart');

    const catalogCalls = childOf(cartHandle, (s) => s.name.startsWith('call catalog.'));
    expect(catalogCalls.map((s) => s.name), 'cart asks catalog over NATS, once').toEqual(['call catalog.products.variants']);
    const catalogQueries: ReadableSpan[] = [];
    for (const call of catalogCalls) {
      const [handled] = childOf(call, (s) => s.name === `handle ${call.name.slice('call '.length)}`);
      expect(handled, `catalog handles ${call.name}`).toBeDefined();
      expect(handled.instrumentationScope.name).toBe('catalog');
      catalogQueries.push(...childOf(handled, (s) => s.name.startsWith('pg ')));
    }
    // Catalog answers some lookups from memory; the stock and price read is a query.
    expect(catalogQueries.length, 'catalog queries PostgreSQL').toBeGreaterThanOrEqual(1);
    expect(String(catalogQueries[0].attributes['db.namespace'])).toContain('catalog');
    const cartQueries = childOf(cartHandle, (s) => s.name.startsWith('pg ') && String(s.attributes['db.namespace']).includes('cart'));
    expect(cartQueries.length, 'cart queries its own database in the same trace').toBeGreaterThanOrEqual(1);

    // Nothing this call did went into another trace.
    const elsewhere = spans.filter((s) => /^(tool|call|handle) /.test(s.name) && s.spanContext().traceId !== traceId);
    expect(elsewhere.map((s) => s.name)).toEqual([]);
  });

  it("an add to a cart holding other products still asks catalog once, and the answer prices every line", async () => {
    const found = ok(await client.call('search_products', { query: 'mug' }));
    const other = found.items.find((p: { sizes: string[]; colors: string[] }) => !p.sizes.length && !p.colors.length) ?? found.items[0];
    exporter.reset();
    const { cart } = ok(await client.call('add_to_cart', { product_id: other.id, quantity: 1, ...(other.sizes.length ? { size: other.sizes[0] } : {}), ...(other.colors.length ? { color: other.colors[0] } : {}) }));
    await new Promise((r) => setTimeout(r, 100));
    const spans = exporter.getFinishedSpans();
    const catalogCalls = spans.filter((s) => s.name.startsWith('call catalog.'));
    expect(catalogCalls.map((s) => s.name)).toEqual(['call catalog.products.variants']);
    const productIds = new Set(cart.lines.map((l: { product_id: string }) => l.product_id));
    expect(productIds.size, 'the cart holds the first add and this one').toBe(2);
    for (const line of cart.lines) expect(line.available, `${line.name} is priced and counted`).toBeGreaterThan(0);
  });

  it('the gateway and cart count the call on /metrics, for a service credential only', async () => {
    const refused = await fetch(`${stack.gatewayUrl}/metrics`);
    expect(refused.status).toBe(401);
    const gateway = await (await fetch(`${stack.gatewayUrl}/metrics`, { headers: serviceHeaders })).text();
    expect(gateway).toMatch(/^mcp_tool_call_duration_seconds_count\{tool="add_to_cart",outcome="ok"\} [1-9]/m);
    expect(gateway).toMatch(/^nats_client_request_duration_seconds_count\{subject="cart\.[^"]+",outcome="ok"\} [1-9]/m);
    const cartRefused = await fetch(`${stack.serviceUrls.cart}/metrics`);
    expect(cartRefused.status).toBe(401);
    const cart = await (await fetch(`${stack.serviceUrls.cart}/metrics`, { headers: serviceHeaders })).text();
    expect(cart).toMatch(/^nats_server_request_duration_seconds_count\{subject="cart\.[^"]+",outcome="ok"\} [1-9]/m);
    expect(cart).toMatch(/^pg_pool_clients\{pool="[^"]*cart[^"]*",state="total"\} \d/m);
  });
});
