// Headless first: a host with no widgets and no structured-output support (a CLI, a voice
// assistant) reads only each result's text. This client drives a whole purchase from the text
// alone and sends no host conversation id, so even the cart handle it passes back comes from the
// text. It speaks the 2025 handshake (its MCP session is the conversation); test/cart-handle.test.ts
// buys in the 2026-07-28 era with neither, by the cart id alone.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './support/stack.js';

const address = { name: 'Grace Hopper', line1: '1 Navy Way', city: 'Arlington', state: 'VA', postal_code: '22202', country: 'US' };
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** The one capture group of `pattern` in `text`; fails with the text when it is not there. */
function find(text: string, pattern: RegExp): string {
  const m = pattern.exec(text);
  if (!m?.[1]) throw new Error(`${pattern} not found in:\n${text}`);
  return m[1];
}

describe('a purchase by a client that reads only text content', () => {
  let stack: TestStack;
  let client: Client;
  beforeAll(async () => {
    stack = await startTestStack();
    client = new Client({ name: 'headless', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl)));
  });
  afterAll(async () => {
    await client?.close();
    await stack?.stop();
  });

  /** Calls a tool and keeps nothing but its text: no structuredContent, no _meta, no widget. */
  async function say(name: string, args: Record<string, unknown> = {}): Promise<string> {
    const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: Array<{ type: string; text?: string }> };
    const text = result.content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('\n');
    expect(result.isError, `${name}: ${text}`).toBeFalsy();
    return text;
  }

  it('searches, adds, checks out step by step, places the order and reads it back', async () => {
    const found = await say('search_products', { query: 'Pegasus' });
    expect(found).toContain('Next: get_product_details');
    const productId = find(found, new RegExp(`Pegasus 41 Road Running Shoe by [^,]+, \\$89\\.99 \\[id (${UUID})\\]`));

    const detail = await say('get_product_details', { product_id: productId });
    // The text names the variants and what add_to_cart needs.
    expect(detail).toMatch(/size 10, Black: \$89\.99, \d+ available/);
    expect(detail).toContain(`Next: add_to_cart with product_id ${productId} and a size and a color.`);

    const added = await say('add_to_cart', { product_id: productId, size: '10', color: 'Black' });
    expect(added).toContain('Added 1 × Pegasus 41 Road Running Shoe (size 10, Black).');
    // Standard shipping is free from $50 of goods; tax 8.75 % of 89.99 = 7.874 → 7.87; total 97.86.
    expect(added).toContain('Subtotal $89.99, estimated standard shipping $0.00, tax $7.87, total $97.86.');
    expect(added).toContain('Next: start_checkout');
    const cartId = find(added, /Cart id ([0-9a-f]{32}) \(pass it as cart_id/);

    const started = await say('start_checkout', { cart_id: cartId });
    expect(started).toContain('Checkout still needs: shipping address, shipping method, billing address, payment method, terms.');
    expect(started).toMatch(/Shipping options: standard: Standard [^,]+, \$0\.00, delivery \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}; express: Express [^,]+, \$12\.99/);
    expect(started).toContain(`Terms of service: ${stack.gatewayUrl}/policies/terms`);
    expect(started).toContain('Next: update_checkout with shipping_address, shipping_method (standard or express)');
    const methodId = find(started, /Saved payment methods: [^(]+\((pm_[A-Za-z0-9_]+)\)/);

    const addressed = await say('update_checkout', { cart_id: cartId, shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true });
    expect(addressed).toContain('Checkout still needs: payment method, terms.');
    expect(addressed).toContain('Next: update_checkout with payment_method_id (one of the saved methods), accept_terms true');

    const ready = await say('update_checkout', { cart_id: cartId, payment_method_id: methodId, accept_terms: true });
    expect(ready).toContain('Checkout is ready: the order can be placed.');
    expect(ready).toContain('Next: confirm the total of $97.86 with the shopper, then place_order.');

    const placed = await say('place_order', { cart_id: cartId });
    const number = find(placed, /Order (ORD-\d{4}-\d{5,}) is confirmed: 1 item, total \$97\.86/);
    expect(placed).toContain('1 × Pegasus 41 Road Running Shoe (size 10, Black) at $89.99');
    expect(placed).toContain('Subtotal $89.99, standard shipping $0.00, tax $7.87, total $97.86.');
    expect(placed).toContain('Ships to Grace Hopper, 1 Navy Way, Arlington, VA 22202.');
    expect(placed).toContain(`Returns and refunds: ${stack.gatewayUrl}/policies/returns`);
    expect(placed).toContain(`Next: get_order_status ${number} for updates; cancel_order ${number} cancels it until it ships.`);

    // By number, as a shopper would ask for it, in any letter case.
    const status = await say('get_order_status', { order_id: number.toLowerCase() });
    expect(status).toContain(`Order ${number} is confirmed: 1 item, total $97.86`);
    expect(status).toMatch(/Estimated delivery \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\./);
  });
});
