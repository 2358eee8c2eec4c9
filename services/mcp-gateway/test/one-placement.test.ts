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

    expect(await scalar(stack.databaseUrls.orders!, 'select count(*) as n from orders_with_saga where cart_id = $1', [cartId])).toBe(1);
    expect(await scalar(stack.databaseUrls.payments!, 'select count(*) as n from payments')).toBe(1);
    expect(await scalar(stack.databaseUrls.payments!, 'select count(*) as n from refunds')).toBe(0);
    expect(await scalar(stack.databaseUrls.catalog!, 'select count(*) as n from reservations')).toBe(1);
    await c.close();
  });
});

/**
 * A place_order asked again under its key while the first call is still placing (its answer lost,
 * as in a database restart): the placement holds the cart's stock, so the cart reads its own items
 * as short. The repeat must get that placement's answer, not a refusal built from the cart.
 */
describe('a placement asked again while it is under way', () => {
  const conversation = 'conv-retry-under-way';
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      gatewayEnv: { RATE_LIMIT_PER_MINUTE: '10000', RATE_LIMIT_IP_PER_MINUTE: '10000' },
      // The demo provider holds this shopper's charge for 3 s, so the placement is under way when asked again.
      serviceEnv: { payments: { NODE_ENV: 'test', PAYMENTS_TEST_HANG_CUSTOMER: conversation, PAYMENTS_TEST_HANG_MS: '3000' } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the same key, while the first call holds the last units: the same order, confirmed, not a stock refusal', async () => {
    const c = await connectClient(stack.mcpUrl, { 'openai/session': conversation });
    const found = ok(await c.call('search_products', { query: 'mug' }));
    const detail = ok(await c.call('get_product_details', { product_id: found.items[0].id }));
    const variant = detail.product.variants.find((v: any) => v.available > 0);
    // Exactly the two units the cart asks for: once the placement reserves them, none is left.
    await scalar(stack.databaseUrls.catalog!, 'with v as (update variants set stock = reserved + 2 where id = $1 returning 1) select count(*) as n from v', [variant.id]);
    ok(await c.call('add_to_cart', { product_id: found.items[0].id, quantity: 2, ...(variant.size ? { size: variant.size } : {}), ...(variant.color ? { color: variant.color } : {}) }));
    ok(await c.call('update_checkout', { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true }));

    const key = `retry-under-way-${Date.now()}`;
    const first = c.call('place_order', { idempotency_key: key });
    const deadline = Date.now() + 10_000;
    while ((await scalar(stack.databaseUrls.catalog!, `select count(*) as n from reservations where status = 'active'`)) === 0) {
      if (Date.now() > deadline) throw new Error('the first placement never reserved its stock');
      await new Promise((r) => setTimeout(r, 50));
    }
    const again = await c.call('place_order', { idempotency_key: key });
    const firstAnswer = await first;
    const order = ok(again).order;
    expect(order.status).toBe('confirmed');
    expect(ok(firstAnswer).order.id).toBe(order.id);
    expect(await scalar(stack.databaseUrls.orders!, 'select count(*) as n from orders', [])).toBe(1);
    expect(await scalar(stack.databaseUrls.payments!, 'select count(*) as n from payments', [])).toBe(1);
    await c.close();
  }, 60_000);
});
