import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, ok, startTestStack, type TestStack } from './support/stack.js';
import { signUpAndConnect } from './support/accounts.js';

/**
 * "Save this payment method for next time" through the official MCP client against the real
 * cart, orders, payments and accounts: a signed-in shopper (an account's access token) finds the
 * method in a later conversation; a guest gets nothing saved, and is told so.
 */
const address = { name: 'Grace Hopper', line1: '2 Navy Way', city: 'Arlington', state: 'VA', postal_code: '22201', country: 'US' };
const savedOf = (result: any) => result.payment_methods.filter((m: any) => m.saved).map((m: any) => m.id);

describe('saving a payment method for next time', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ accounts: true });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  async function buyWithSaving(meta: { 'openai/session': string }, token?: string) {
    const c = await connectClient(stack.mcpUrl, meta, token);
    const pegasus = ok(await c.call('search_products', { query: 'running shoes', max_price: 100 })).items.find((p: any) => p.name === 'Pegasus 41 Road Running Shoe');
    ok(await c.call('add_to_cart', { product_id: pegasus.id, size: '10', color: 'Black' }));
    const checkout = await c.call('update_checkout', {
      shipping_address: address,
      shipping_method: 'standard',
      billing_same_as_shipping: true,
      payment_method_id: 'pm_card_mastercard',
      accept_terms: true,
      save_payment_method: true,
    });
    const placed = ok(await c.call('place_order'));
    await c.close();
    return { checkout, placed };
  }

  it('a signed-in shopper finds the saved method, first and default, in a later conversation', async () => {
    const grace = (await signUpAndConnect(stack, 'grace@example.com')).accessToken;
    const before = await connectClient(stack.mcpUrl, { 'openai/session': 'conv-grace-0' }, grace);
    expect(savedOf(ok(await before.call('list_payment_methods')))).toEqual([]);
    await before.close();

    const { checkout, placed } = await buyWithSaving({ 'openai/session': 'conv-grace-1' }, grace);
    expect(ok(checkout).cart.checkout.save_payment_method).toBe(true);
    expect((checkout.content as any)[0].text).toMatch(/^Your payment method will be saved for next time once the order is paid\./);
    expect(placed.order).toMatchObject({ status: 'confirmed', payment: { brand: 'mastercard', last4: '4444' } });

    const later = await connectClient(stack.mcpUrl, { 'openai/session': 'conv-grace-2' }, grace);
    const listed = await later.call('list_payment_methods');
    const methods = ok(listed).payment_methods;
    // The label and test-card marking are the payments service's (payments tests pin them).
    expect(methods[0]).toMatchObject({ id: 'pm_card_mastercard', brand: 'mastercard', last4: '4444', is_default: true, saved: true });
    expect(methods[0].label).toContain('Mastercard ending in 4444');
    expect(methods.filter((m: any) => m.id === 'pm_card_mastercard')).toHaveLength(1);
    expect(methods.slice(1).every((m: any) => !m.saved && !m.is_default)).toBe(true);
    expect((listed.content as any)[0].text).toContain('(pm_card_mastercard) saved default');
    await later.close();

    // Another signed-in shopper sees none of it.
    const stranger = await connectClient(stack.mcpUrl, { 'openai/session': 'conv-other-1' }, (await signUpAndConnect(stack, 'other@example.com')).accessToken);
    expect(savedOf(ok(await stranger.call('list_payment_methods')))).toEqual([]);
    await stranger.close();
  });

  it('a guest is told nothing will be saved, and nothing is', async () => {
    const { checkout, placed } = await buyWithSaving({ 'openai/session': 'conv-anon-1' });
    expect((checkout.content as any)[0].text).toMatch(/^Payment methods can only be saved for a signed-in shopper, so this one will not be saved for next time\./);
    expect(placed.order.status).toBe('confirmed');
    for (const session of ['conv-anon-1', 'conv-anon-2']) {
      const c = await connectClient(stack.mcpUrl, { 'openai/session': session });
      expect(savedOf(ok(await c.call('list_payment_methods')))).toEqual([]);
      await c.close();
    }
  });
});
