import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, connectClient, ok, type TestStack } from './support/stack.js';

/**
 * The whole shopping conversation through the official MCP client, against the real catalog,
 * cart, payments and orders services. Totals are worked out here by hand from the pricing rules
 * in ARCHITECTURE.md (10 % coupon, standard free from $50 of goods, express $12.99, tax 8.75 %
 * of goods, all half-up), never by calling the code under test.
 */
const PEGASUS = 'Pegasus 41 Road Running Shoe';
const PEGASUS_PRICE = 8999;

const address = { name: 'Ada Lovelace', line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' };

describe('a complete shopping conversation', () => {
  let stack: TestStack;
  const meta = { 'openai/session': 'conv-main-1', 'openai/subject': 'shopper-ada' };
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  // One conversation, told in order: each step starts from where the one before left it.
  let first: Awaited<ReturnType<typeof connectClient>>;
  let second: Awaited<ReturnType<typeof connectClient>>;
  let pegasus: any;
  let cartId: string;
  let itemId: string;
  let order: any;
  const policies = () => ({
    terms: `${stack.gatewayUrl}/policies/terms`,
    privacy: `${stack.gatewayUrl}/policies/privacy`,
    returns: `${stack.gatewayUrl}/policies/returns`,
    shipping: `${stack.gatewayUrl}/policies/shipping`,
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  it('finds "running shoes under $100" and shows one of them', async () => {
    first = await connectClient(stack.mcpUrl, meta);
    const search = await first.call('search_products', { query: 'running shoes', max_price: 100 });
    const list = ok(search);
    expect(list.kind).toBe('product_list');
    expect(list.filters).toMatchObject({ max_price: 10_000, in_stock_only: true, sort_by: 'relevance' });
    pegasus = list.items.find((p: any) => p.name === PEGASUS);
    expect(pegasus).toMatchObject({ price: PEGASUS_PRICE, price_formatted: '$89.99' });
    for (const p of list.items) expect(p.price).toBeLessThanOrEqual(10_000);
    expect((search.content as any)[0].text).toContain(PEGASUS);

    const detail = ok(await first.call('get_product_details', { product_id: pegasus.id }));
    expect(detail.kind).toBe('product_detail');
    expect(detail.product.sizes).toContain('10');
  });

  it('adds a pair in size 10; the cart id travels in structuredContent, not in widgetSessionId', async () => {
    const added = await first.call('add_to_cart', { product_id: pegasus.id, size: '10', color: 'Black' });
    const cart1 = ok(added);
    cartId = cart1.cart_id;
    expect(cartId).toMatch(/^[0-9a-f]{32}$/);
    // session_id is the cart id's deprecated alias.
    expect(cart1.session_id).toBe(cartId);
    expect(added._meta?.['openai/widgetSessionId']).toBeUndefined();
    expect(cart1.cart.lines).toHaveLength(1);
    expect(cart1.cart.lines[0]).toMatchObject({ name: PEGASUS, size: '10', color: 'Black', quantity: 1, unit_price: PEGASUS_PRICE });
    expect(cart1.last_added_line_id).toBe(cart1.cart.lines[0].id);
    itemId = cart1.cart.lines[0].id;
  });

  it('a new connection in the same host conversation sees the same cart and changes it', async () => {
    second = await connectClient(stack.mcpUrl, meta);
    const seen = ok(await second.call('view_cart'));
    expect(seen.cart_id).toBe(cartId);
    expect(seen.cart.lines.map((l: any) => [l.id, l.quantity])).toEqual([[itemId, 1]]);
    // Two pairs: 2 × 89.99 = 179.98.
    const updated = ok(await second.call('update_cart_item', { item_id: itemId, quantity: 2 }));
    expect(updated.cart.totals.subtotal).toBe(17_998);
  });

  it('WELCOME10 takes 10 % off, and the totals are the hand-worked ones', async () => {
    // 10 % of 179.98 = 17.998 → 18.00; goods 161.98 ≥ 50 so standard shipping is free;
    // tax 8.75 % of 161.98 = 14.17325 → 14.17; total 179.98 − 18.00 + 0 + 14.17 = 176.15.
    const coupon = ok(await first.call('apply_coupon', { code: 'WELCOME10' }));
    expect(coupon.cart.coupon).toMatchObject({ code: 'WELCOME10', type: 'percentage', value: 10 });
    expect(coupon.cart.totals).toMatchObject({ subtotal: 17_998, discount: 1_800, shipping: 0, tax: 1_417, total: 17_615 });
    expect(coupon.formatted).toEqual({ subtotal: '$179.98', discount: '$18.00', shipping: '$0.00', tax: '$14.17', total: '$176.15' });
  });

  it('checkout starts with the missing steps and the priced shipping options', async () => {
    const started = ok(await first.call('start_checkout'));
    expect(started.kind).toBe('checkout');
    expect(started.cart_id).toBe(cartId);
    expect(started.cart.checkout.ready).toBe(false);
    expect(started.cart.checkout.missing_steps).toContain('shipping_address');
    expect(started.cart.shipping_options.map((o: any) => [o.method, o.price])).toEqual([
      ['standard', 0],
      ['express', 1_299],
    ]);
  });

  it('address, express shipping, method and terms make it ready, with the policies linked', async () => {
    // Express: 179.98 − 18.00 + 12.99 + 14.17 = 189.14.
    const details = ok(
      await first.call('update_checkout', { shipping_address: address, shipping_method: 'express', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true }),
    );
    expect(details.cart.totals).toMatchObject({ subtotal: 17_998, discount: 1_800, shipping: 1_299, tax: 1_417, total: 18_914 });
    expect(details.cart.checkout).toMatchObject({ ready: true, missing_steps: [] });
    expect(details.formatted.total).toBe('$189.14');
    expect(details.policies).toEqual(policies());
  });

  it('lists the payment methods with brand and last 4 only', async () => {
    const methods = ok(await first.call('list_payment_methods'));
    expect(methods.payment_methods.map((m: any) => m.id)).toContain('pm_card_visa');
    for (const m of methods.payment_methods) expect(Object.keys(m).sort()).toEqual(['brand', 'id', 'is_default', 'label', 'last4', 'saved']);
  });

  it('places the order at the confirmed total', async () => {
    const placedResult = await first.call('place_order', { payment_method_id: 'pm_card_visa' });
    const placed = ok(placedResult);
    expect(placedResult._meta?.['openai/widgetSessionId']).toBeUndefined();
    expect(placed.kind).toBe('order');
    order = placed.order;
    expect(order).toMatchObject({ status: 'confirmed', subtotal: 17_998, discount: 1_800, shipping: 1_299, tax: 1_417, total: 18_914, item_count: 2, shipping_method: 'express' });
    expect(order.number).toMatch(/^ORD-\d{4}-\d{5,}$/);
    expect(order.lines).toEqual([expect.objectContaining({ name: PEGASUS, size: '10', quantity: 2, unit_price: PEGASUS_PRICE, line_subtotal: 17_998 })]);
    expect(placed.formatted.total).toBe('$189.14');
    expect(placed.policies).toEqual(policies());
  });

  it('"yes, place it" again — by the conversation, by the cart id, by its old name — charges nothing more', async () => {
    // The conversation's cart is a fresh one now; the placed cart is found by its id.
    const again = ok(await second.call('place_order', { payment_method_id: 'pm_card_visa' }));
    expect(again.order.id).toBe(order.id);
    const againById = ok(await first.call('place_order', { cart_id: cartId, payment_method_id: 'pm_card_visa' }));
    expect(againById.order.id).toBe(order.id);
    const againByAlias = ok(await first.call('place_order', { session_id: cartId, payment_method_id: 'pm_card_visa' }));
    expect(againByAlias.order.id).toBe(order.id);
    expect(ok(await first.call('list_orders')).items).toHaveLength(1);
  });

  it('tells the status by ORD- number from the other connection, and lists the order', async () => {
    const status = ok(await second.call('get_order_status', { order_id: order.number.toLowerCase() }));
    expect(status.order).toMatchObject({ id: order.id, status: 'confirmed', total: 18_914 });
    const orders = ok(await second.call('list_orders'));
    expect(orders.kind).toBe('order_list');
    expect(orders.items.map((o: any) => [o.number, o.total, o.total_formatted])).toContainEqual([order.number, 18_914, '$189.14']);
  });

  it('reorders into a fresh cart at today\'s prices, without the coupon', async () => {
    // 2 × 89.99 = 179.98, no coupon, standard free, tax 15.74825 → 15.75; total 195.73.
    const reordered = ok(await first.call('reorder', { order_id: order.number }));
    expect(reordered.kind).toBe('cart');
    expect(reordered.reorder.added).toEqual([{ name: PEGASUS, quantity: 2 }]);
    expect(reordered.reorder.not_added).toEqual([]);
    expect(reordered.cart.status).toBe('active');
    expect(reordered.cart.totals).toMatchObject({ subtotal: 17_998, discount: 0, shipping: 0, tax: 1_575, total: 19_573 });
  });

  it('cancels the first order', async () => {
    const cancelled = ok(await second.call('cancel_order', { order_id: order.number, reason: 'Changed my mind' }));
    expect(cancelled.order).toMatchObject({ id: order.id, status: 'cancelled' });
  });
});
