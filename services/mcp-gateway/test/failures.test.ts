import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, serviceHeaders } from '@shop/kit/testing';
import { connectClient, errorText, ok, startTestStack, type HostMeta, type TestStack } from './support/stack.js';
import { signUpAndConnect } from './support/accounts.js';

const address = { name: 'Grace Hopper', line1: '2 Navy Way', city: 'Arlington', state: 'VA', postal_code: '22202', country: 'US' };

/** Failure conversations against the real services: every refusal is a tool error a shopper can act on. */
describe('failure conversations', () => {
  let stack: TestStack;
  let productId: string;
  let n = 0;
  const shopper = (): HostMeta => ({ 'openai/session': `conv-fail-${++n}` });

  beforeAll(async () => {
    stack = await startTestStack({ accounts: true });
    const c = await connectClient(stack.mcpUrl);
    const list = ok(await c.call('search_products', { query: 'Pegasus 41' }));
    productId = list.items.find((p: any) => p.name === 'Pegasus 41 Road Running Shoe').id;
    await c.close();
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  async function cartWithShoes(meta: HostMeta, quantity = 1, token?: string) {
    const c = await connectClient(stack.mcpUrl, meta, token);
    const cart = ok(await c.call('add_to_cart', { product_id: productId, size: '10', color: 'Black', quantity }));
    return { c, cart };
  }

  async function readyCheckout(meta: HostMeta, quantity = 1) {
    const { c, cart } = await cartWithShoes(meta, quantity);
    ok(await c.call('update_checkout', { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, accept_terms: true }));
    return { c, cart };
  }

  it('refuses checkout of an empty cart', async () => {
    const c = await connectClient(stack.mcpUrl, shopper());
    expect(errorText(await c.call('start_checkout'))).toBe('Your cart is empty.');
    expect(errorText(await c.call('place_order', { payment_method_id: 'pm_card_visa' }))).toMatch(/empty/i);
    await c.close();
  });

  it('asks for a shipping address before placing the order', async () => {
    const { c } = await cartWithShoes(shopper());
    const text = errorText(await c.call('place_order', { payment_method_id: 'pm_card_visa' }));
    expect(text).toMatch(/shipping address/i);
    expect(ok(await c.call('list_orders')).items).toEqual([]);
    await c.close();
  });

  it('reports a declined card clearly and keeps the cart intact', async () => {
    const { c, cart } = await readyCheckout(shopper());
    const declined = await c.call('place_order', { payment_method_id: 'pm_card_chargeDeclined' });
    const text = errorText(declined);
    expect(text).toMatch(/declined/i);
    expect(text).not.toMatch(/stack|\.js:\d+/);
    expect(declined.structuredContent).toBeUndefined();
    const after = ok(await c.call('view_cart'));
    expect(after.session_id).toBe(cart.session_id);
    expect(after.cart.status).toBe('active');
    expect(after.cart.lines.map((l: any) => l.quantity)).toEqual([1]);
    // Another card then succeeds for the same cart.
    const placed = ok(await c.call('place_order', { payment_method_id: 'pm_card_visa' }));
    expect(placed.order.status).toBe('confirmed');
    await c.close();
  });

  it('refuses a prohibited product by id', async () => {
    const refused = (await (await fetch(`${stack.serviceUrls.catalog}/v1/refused-items`, { headers: serviceHeaders })).json()) as { items: Array<{ id: string; name: string }> };
    expect(refused.items.length).toBeGreaterThan(0);
    const c = await connectClient(stack.mcpUrl, shopper());
    const item = refused.items[0];
    const add = await c.call('add_to_cart', { product_id: item.id });
    expect(errorText(add)).toContain(`${item.name} cannot be sold here.`);
    expect(add._meta?.['shop/error']).toMatchObject({ code: 'PROHIBITED_ITEM' });
    expect(ok(await c.call('search_products', { query: item.name })).items.map((p: any) => p.id)).not.toContain(item.id);
    expect(ok(await c.call('view_cart')).cart.lines).toEqual([]);
    await c.close();
  });

  it("refuses an account's cart id to another account and to a guest claiming its subject", async () => {
    const account = await signUpAndConnect(stack, 'fail-owner@example.com');
    const { c: owner, cart } = await cartWithShoes(shopper(), 1, account.accessToken);
    const other = await signUpAndConnect(stack, 'fail-other@example.com');
    for (const intruder of [
      await connectClient(stack.mcpUrl, { 'openai/session': 'conv-intruder' }, other.accessToken),
      await connectClient(stack.mcpUrl, { 'openai/session': 'conv-intruder-guest', 'openai/subject': account.subject }),
    ]) {
    for (const [tool, args] of [
      ['view_cart', {}],
      ['add_to_cart', { product_id: productId, size: '10', color: 'Black' }],
      ['apply_coupon', { code: 'WELCOME10' }],
      ['place_order', { payment_method_id: 'pm_card_visa' }],
    ] as const) {
      const res = await intruder.call(tool, { ...args, session_id: cart.session_id });
      expect(res.isError, tool).toBe(true);
      expect(res._meta?.['shop/error']).toMatchObject({ code: 'CART_FORBIDDEN' });
    }
    await intruder.close();
    }
    expect(ok(await owner.call('view_cart')).cart.lines.map((l: any) => l.quantity)).toEqual([1]);
    await owner.close();
  });

  it('refuses an invalid coupon and leaves the totals unchanged', async () => {
    const { c, cart } = await cartWithShoes(shopper());
    expect(errorText(await c.call('apply_coupon', { code: 'NOT-A-COUPON' }))).toBe('NOT-A-COUPON is not a valid coupon code.');
    const after = ok(await c.call('view_cart'));
    expect(after.cart.coupon).toBeNull();
    expect(after.cart.totals.total).toBe(cart.cart.totals.total);
    await c.close();
  });

  it('refuses an order when stock ran low before placement, without charging, until the shopper confirms the new total', async () => {
    const { c, cart } = await readyCheckout(shopper(), 2);
    const variantId = cart.cart.lines[0].variant_id;
    const setStock = (stock: number) =>
      fetch(`${stack.serviceUrls.catalog}/v1/admin/variants/${variantId}`, { method: 'PATCH', headers: { ...adminHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ stock }) });
    expect((await setStock(1)).status).toBe(200);
    const res = await c.call('place_order', { payment_method_id: 'pm_card_visa' });
    expect(errorText(res)).toMatch(/^Only 1 left in size 10 of Pegasus 41 Road Running Shoe: we lowered your quantity from 2 to 1\. Nothing was charged\. The cart total is now \$97\.86/);
    expect(res._meta?.['shop/error']).toMatchObject({ code: 'OUT_OF_STOCK' });
    expect(ok(await c.call('list_orders')).items).toEqual([]);
    // Confirming again places the reduced order: 89.99, standard shipping free from $50, tax 7.874125 → 7.87; total 97.86.
    const placed = ok(await c.call('place_order', { payment_method_id: 'pm_card_visa' }));
    expect(placed.order).toMatchObject({ status: 'confirmed', item_count: 1, subtotal: 8_999, shipping: 0, tax: 787, total: 9_786 });

    // Sold out entirely after it was added: refused with the catalog's reason, cart intact.
    expect((await setStock(5)).status).toBe(200);
    const next = await readyCheckout(shopper(), 1);
    expect((await setStock(0)).status).toBe(200);
    expect(errorText(await next.c.call('place_order', { payment_method_id: 'pm_card_visa' }))).toMatch(/out of stock/i);
    expect(ok(await next.c.call('view_cart')).cart.lines).toHaveLength(1);
    await next.c.close();
    await c.close();
  });
});
