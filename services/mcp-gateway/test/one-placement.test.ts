import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, ok, startTestStack, type TestStack } from './support/stack.js';

const address = { name: 'Ada Lovelace', line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' };

async function scalar(url: string, sql: string, params: unknown[] = []): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(sql, params)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

/**
 * The attack from issue 12 through the MCP client: one cart, 30 place_order calls at once, each with
 * its own idempotency key and alternating payment methods. Exactly one order may be charged.
 */
describe('one placement per cart, through the MCP client', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ gatewayEnv: { RATE_LIMIT_PER_MINUTE: '10000', RATE_LIMIT_IP_PER_MINUTE: '10000' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('30 concurrent place_order with 30 keys and alternating methods: 1 order, 1 charge, 0 refunds, stock held once', async () => {
    const c = await connectClient(stack.mcpUrl, { 'openai/session': 'conv-race-1', 'openai/subject': 'racer' });
    const found = ok(await c.call('search_products', { query: 'mug' }));
    const product = found.items[0];
    const detail = ok(await c.call('get_product_details', { product_id: product.id }));
    const variant = detail.product.variants?.find((v: any) => v.available > 0);
    const added = ok(await c.call('add_to_cart', { product_id: product.id, ...(variant?.size ? { size: variant.size } : {}), ...(variant?.color ? { color: variant.color } : {}) }));
    const cartId: string = added.cart.id;
    ok(await c.call('update_checkout', { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true }));

    const methods = ['pm_card_visa', 'pm_card_mastercard'];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => c.call('place_order', { idempotency_key: `race-${i}-${cartId}`, payment_method_id: methods[i % 2] })),
    );
    const orders = results.filter((r) => !r.isError).map((r) => (r.structuredContent as any).order);
    expect(orders.length).toBeGreaterThan(0);
    expect(new Set(orders.map((o) => o.id)).size).toBe(1);
    expect(orders[0].status).toBe('confirmed');
    // Every other answer names that same order (still being placed, or the cart already ordered).
    for (const r of results.filter((x) => x.isError)) {
      const text = (r.content as Array<{ text?: string }>).map((t) => t.text ?? '').join(' ');
      expect(text).toContain(orders[0].number);
    }

    expect(await scalar(stack.databaseUrls.orders!, 'select count(*) as n from orders where cart_id = $1', [cartId])).toBe(1);
    expect(await scalar(stack.databaseUrls.payments!, 'select count(*) as n from payments')).toBe(1);
    expect(await scalar(stack.databaseUrls.payments!, 'select count(*) as n from refunds')).toBe(0);
    expect(await scalar(stack.databaseUrls.catalog!, 'select count(*) as n from reservations')).toBe(1);
    await c.close();
  });
});
