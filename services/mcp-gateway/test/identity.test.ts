import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, errorText, ok, startTestStack, type TestStack } from './support/stack.js';

const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** Stateless JSON-RPC call without a session header, as a host that keeps no MCP session would make it. */
async function statelessCall(mcpUrl: string, name: string, args: Record<string, unknown>, meta?: Record<string, string>) {
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: mcpHeaders,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } }),
  });
  expect(res.status).toBe(200);
  return (await res.json()).result as { isError?: boolean; structuredContent?: any; _meta?: Record<string, unknown>; content: Array<{ text: string }> };
}

describe('shopper identity and the cart key', () => {
  let stack: TestStack;
  let productId: string;
  beforeAll(async () => {
    stack = await startTestStack();
    const c = await connectClient(stack.mcpUrl);
    productId = ok(await c.call('search_products', { query: 'Pegasus 41' })).items.find((p: any) => p.name === 'Pegasus 41 Road Running Shoe').id;
    await c.close();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('keys the cart by the MCP session when the host sends no conversation id', async () => {
    const a = await connectClient(stack.mcpUrl);
    const added = ok(await a.call('add_to_cart', { product_id: productId, size: '10', color: 'Black' }));
    expect(ok(await a.call('view_cart')).cart_id).toBe(added.cart_id);
    const b = await connectClient(stack.mcpUrl);
    // Another session has no cart: it sees an empty one (no id), then gets its own when it adds.
    expect(ok(await b.call('view_cart'))).toMatchObject({ cart_id: null, cart: { lines: [] } });
    const other = ok(await b.call('add_to_cart', { product_id: productId, size: '10', color: 'Black' }));
    expect(other.cart_id).not.toBe(added.cart_id);
    // The server-issued cart id works as an explicit cart_id from anywhere, even statelessly.
    const viaId = await statelessCall(stack.mcpUrl, 'view_cart', { cart_id: added.cart_id });
    expect(viaId.structuredContent.cart.lines).toHaveLength(1);
    expect(viaId.structuredContent.cart_id).toBe(added.cart_id);
    expect(viaId._meta?.['openai/widgetSessionId']).toBeUndefined();
    // cart_id wins over the deprecated session_id; session_id alone is still honoured.
    const both = await statelessCall(stack.mcpUrl, 'view_cart', { cart_id: added.cart_id, session_id: other.cart_id });
    expect(both.structuredContent.cart_id).toBe(added.cart_id);
    const viaAlias = await statelessCall(stack.mcpUrl, 'view_cart', { session_id: added.cart_id });
    expect(viaAlias.structuredContent.cart_id).toBe(added.cart_id);
    await a.close();
    await b.close();
  });

  it('keys a guest cart by the host conversation across stateless requests; a host-sent openai/subject is no identity', async () => {
    const meta = { 'openai/session': 'conv-stateless', 'openai/subject': 'subject-s' };
    const first = await statelessCall(stack.mcpUrl, 'add_to_cart', { product_id: productId, size: '10', color: 'Black', quantity: 3 }, meta);
    const second = await statelessCall(stack.mcpUrl, 'view_cart', {}, meta);
    expect(second.structuredContent.cart_id).toBe(first.structuredContent.cart_id);
    expect(second.structuredContent.cart).toMatchObject({ conversation: 'conv-stateless' });
    expect(second.structuredContent.cart).not.toHaveProperty('owner_subject');
    expect(second.structuredContent.signed_in).toBe(false);
    expect(second.structuredContent.cart.lines.map((l: any) => l.quantity)).toEqual([3]);
    // The subject authorizes nothing: the guest cart is the conversation's, whatever subject is sent
    // (an account's cart needs that account's token: oauth-resource.test.ts, two-accounts.test.ts).
    const other = await statelessCall(stack.mcpUrl, 'view_cart', {}, { 'openai/session': 'conv-stateless', 'openai/subject': 'subject-t' });
    expect(other.structuredContent.cart_id).toBe(first.structuredContent.cart_id);
    const none = await statelessCall(stack.mcpUrl, 'view_cart', {}, { 'openai/session': 'conv-stateless-other', 'openai/subject': 'subject-s' });
    expect(none.structuredContent.cart.lines).toEqual([]);
  });

  it('refuses unknown ids with a clear message', async () => {
    const c = await connectClient(stack.mcpUrl, { 'openai/session': 'conv-unknown', 'openai/subject': 'subject-u' });
    expect(errorText(await c.call('view_cart', { cart_id: 'f'.repeat(32) }))).toBe('That cart does not exist.');
    expect(errorText(await c.call('get_product_details', { product_id: '00000000-0000-4000-8000-000000000000' }))).toBe('That product does not exist.');
    expect(errorText(await c.call('get_order_status', { order_id: 'ORD-2026-99999' }))).toMatch(/order/i);
    expect(errorText(await c.call('update_cart_item', { item_id: '00000000-0000-4000-8000-000000000000', quantity: 2 }))).toBeTruthy();
    await c.close();
  });

  it('proxies product images from the catalog and is ready with every service up', async () => {
    const c = await connectClient(stack.mcpUrl);
    const product = ok(await c.call('get_product_details', { product_id: productId })).product;
    await c.close();
    expect(product.image_url).toBe(`${stack.gatewayUrl}/images/${productId}.svg`);
    const image = await fetch(product.image_url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await image.text()).toMatch(/^<svg|<\?xml/);
    const bad = await fetch(`${stack.gatewayUrl}/images/not-a-product.svg`);
    expect(bad.status).toBe(400);
    const missing = await fetch(`${stack.gatewayUrl}/images/00000000-0000-4000-8000-000000000000.svg`);
    expect(missing.status).toBe(404);
    const ready = await fetch(`${stack.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks).toEqual({ nats: true, catalog: true, cart: true, payments: true, orders: true });
  });
});
