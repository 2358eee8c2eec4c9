// A 2026-07-28 client that sends no conversation id in `_meta` (and has no MCP session to stand in
// for one) shops, pays and manages its orders by the cart id alone: a cart created without a
// conversation is its own conversation (`cart:<id>`, set by the cart service), so the orders placed
// from it are found by that id.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './support/stack.js';
import { signUpAndConnect } from './support/accounts.js';

type Result = { isError?: boolean; structuredContent?: any; content: Array<{ type: string; text?: string }>; _meta?: Record<string, any> };
const address = { name: 'Ada Lovelace', line1: '1 Main St', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'US' };

describe('a 2026-07-28 client without a conversation id', () => {
  let stack: TestStack;
  let client: Client;
  let transport: StreamableHTTPClientTransport;
  beforeAll(async () => {
    stack = await startTestStack({ accounts: true });
    transport = new StreamableHTTPClientTransport(new URL(stack.mcpUrl));
    client = new Client({ name: 'cart-handle', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close();
    await stack?.stop();
  });

  /** A tool call with no `_meta` of ours: nothing names a conversation. */
  const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as Result;
  const ok = async (name: string, args: Record<string, unknown> = {}) => {
    const r = await call(name, args);
    expect(r.isError, `${name}: ${JSON.stringify(r.content)}`).toBeFalsy();
    return r;
  };
  const text = (r: Result) => r.content.map((c) => c.text ?? '').join('\n');

  it('places the order, repeats nothing, and reads, lists, reorders and cancels by the cart id', async () => {
    expect(client.getProtocolEra()).toBe('modern');
    expect(transport.sessionId).toBeUndefined();

    const found = await ok('search_products', { query: 'mug' });
    const item = found.structuredContent.items.find((p: { in_stock: boolean }) => p.in_stock);
    const added = await ok('add_to_cart', { product_id: item.id, quantity: 2 });
    const cartId: string = added.structuredContent.cart_id;
    expect(cartId).toMatch(/^[0-9a-f]{32}$/);
    expect(added.structuredContent.cart.conversation).toBe(`cart:${cartId}`);

    const ready = await ok('update_checkout', { cart_id: cartId, shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true });
    expect(ready.structuredContent.cart.checkout.ready).toBe(true);

    // What orders used to refuse ("the cart has neither an owner nor a conversation").
    const placed = await ok('place_order', { cart_id: cartId });
    const order = placed.structuredContent.order;
    expect(order).toMatchObject({ status: 'confirmed', cart_id: cartId, conversation: `cart:${cartId}`, total: ready.structuredContent.cart.totals.total });
    // A host without UI learns how to come back to it.
    expect(text(placed)).toContain(`pass cart_id ${cartId}`);

    // "Place it" again: the converted cart's order, from orders, and nothing charged again.
    const again = await ok('place_order', { cart_id: cartId });
    expect(again.structuredContent.order.id).toBe(order.id);
    expect(text(again)).toContain('This order was already placed; nothing was charged again.');

    const status = await ok('get_order_status', { order_id: order.number, cart_id: cartId });
    expect(status.structuredContent.order).toMatchObject({ id: order.id, status: 'confirmed' });
    // Without the handle the order is nobody's: an order number alone opens nothing.
    const stranger = await call('get_order_status', { order_id: order.number });
    expect(stranger.isError).toBe(true);
    expect(stranger._meta?.['shop/error']?.code).toBe('ORDER_NOT_FOUND');

    const listed = await ok('list_orders', { cart_id: cartId });
    expect(listed.structuredContent.items.map((o: { id: string }) => o.id)).toEqual([order.id]);

    // The placed cart is converted: the items go to a new cart, which is its own conversation again.
    const reordered = await ok('reorder', { order_id: order.number, cart_id: cartId });
    const newCartId: string = reordered.structuredContent.cart_id;
    expect(newCartId).not.toBe(cartId);
    expect(reordered.structuredContent.cart).toMatchObject({ status: 'active', conversation: `cart:${newCartId}` });
    expect(reordered.structuredContent.reorder.added).toEqual([{ name: order.lines[0].name, quantity: 2 }]);

    const cancelled = await ok('cancel_order', { order_id: order.number, cart_id: cartId, reason: 'Changed my mind' });
    expect(cancelled.structuredContent.order).toMatchObject({ id: order.id, status: 'cancelled' });
  });

  it('signed in, without a conversation: a repeated "place it" on the account\'s fresh cart is the order just placed', async () => {
    const { accessToken } = await signUpAndConnect(stack, 'handle@example.com');
    const signedIn = new Client({ name: 'cart-handle-account', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await signedIn.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
    const as = async (name: string, args: Record<string, unknown> = {}) => {
      const r = (await signedIn.callTool({ name, arguments: args })) as Result;
      expect(r.isError, `${name}: ${JSON.stringify(r.content)}`).toBeFalsy();
      return r;
    };
    const item = (await as('search_products', { query: 'mug' })).structuredContent.items.find((p: { in_stock: boolean }) => p.in_stock);
    await as('add_to_cart', { product_id: item.id });
    await as('update_checkout', { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true });
    const order = (await as('place_order')).structuredContent.order;
    expect(order.status).toBe('confirmed');
    // No cart id, no conversation: the account's next cart is new and empty, and orders says this repeats the order.
    const again = await as('place_order');
    expect(again.structuredContent.order.id).toBe(order.id);
    expect(text(again)).toContain('This order was already placed; nothing was charged again.');
    expect((await as('list_orders')).structuredContent.items.map((o: { id: string }) => o.id)).toEqual([order.id]);
    await signedIn.close();
  });
});
