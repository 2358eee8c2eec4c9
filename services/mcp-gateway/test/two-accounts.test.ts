import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolName } from '@shop/contracts';
import { tools } from '../src/app/index.js';
import { signUpAndConnect, type SignedIn } from './support/accounts.js';
import { connectClient, ok, startTestStack, type TestStack } from './support/stack.js';

/**
 * Two accounts never see each other's carts, orders or payment methods: account B calls every
 * tool with everything it could know of account A (A's cart id, cart line, order id and number,
 * A's saved payment method) and gets none of A's data back, and A's things are unchanged after.
 * Both sign in for real (accounts service, OAuth, real tokens); everything else is the real stack.
 */
const addressA = { name: 'Alice Secret', line1: '77 Private Lane', city: 'Arlington', state: 'VA', postal_code: '22201', country: 'US' };
const addressB = { name: 'Bob Other', line1: '1 Public Road', city: 'Austin', state: 'TX', postal_code: '73301', country: 'US' };

let stack: TestStack;
let alice: SignedIn;
let bob: SignedIn;
/** What B might know of A, and must never get back. */
const a = { openCartId: '', lineId: '', orderId: '', orderNumber: '', convertedCartId: '' };
let productId: string;

beforeAll(async () => {
  stack = await startTestStack({ accounts: true });
  [alice, bob] = [await signUpAndConnect(stack, 'alice@example.com'), await signUpAndConnect(stack, 'bob@example.com')];
  const aliceClient = await connectClient(stack.mcpUrl, { 'openai/session': 'conv-alice-1' }, alice.accessToken);
  productId = ok(await aliceClient.call('search_products', { query: 'Pegasus 41' })).items.find((p: any) => p.name === 'Pegasus 41 Road Running Shoe').id;
  // A's order, paid with a card she saves for next time.
  a.convertedCartId = ok(await aliceClient.call('add_to_cart', { product_id: productId, size: '10', color: 'Black' })).cart_id;
  ok(await aliceClient.call('update_checkout', { shipping_address: addressA, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_mastercard', accept_terms: true, save_payment_method: true }));
  const order = ok(await aliceClient.call('place_order')).order;
  [a.orderId, a.orderNumber] = [order.id, order.number];
  // And an open cart with a line and her address in it.
  const open = ok(await aliceClient.call('add_to_cart', { product_id: productId, size: '10', color: 'Black' }));
  [a.openCartId, a.lineId] = [open.cart_id, open.cart.lines[0].id];
  ok(await aliceClient.call('update_checkout', { shipping_address: addressA }));
  await aliceClient.close();
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

/** What B sends to each tool: A's handles wherever the tool takes one. Every tool must be listed. */
const attempts: Record<ToolName, Array<() => Record<string, unknown>>> = {
  search_products: [() => ({ query: 'Pegasus' })],
  get_product_details: [() => ({ product_id: productId })],
  get_store_policies: [() => ({})],
  add_to_cart: [() => ({ product_id: productId, size: '10', color: 'Black', cart_id: a.openCartId })],
  view_cart: [() => ({ cart_id: a.openCartId }), () => ({ cart_id: a.convertedCartId }), () => ({})],
  update_cart_item: [() => ({ item_id: a.lineId, quantity: 3, cart_id: a.openCartId }), () => ({ item_id: a.lineId, quantity: 3 })],
  remove_from_cart: [() => ({ item_id: a.lineId, cart_id: a.openCartId }), () => ({ item_id: a.lineId })],
  apply_coupon: [() => ({ code: 'WELCOME10', cart_id: a.openCartId })],
  remove_coupon: [() => ({ cart_id: a.openCartId })],
  start_checkout: [() => ({ cart_id: a.openCartId })],
  update_checkout: [() => ({ cart_id: a.openCartId, shipping_method: 'express' }), () => ({ shipping_address: addressB, payment_method_id: 'pm_card_mastercard' })],
  list_payment_methods: [() => ({}), () => ({ cart_id: a.openCartId })],
  create_checkout_link: [() => ({ cart_id: a.openCartId })],
  place_order: [() => ({ cart_id: a.openCartId, payment_method_id: 'pm_card_mastercard' })],
  get_order_status: [() => ({ order_id: a.orderNumber }), () => ({ order_id: a.orderId }), () => ({ order_id: a.orderNumber, cart_id: a.convertedCartId })],
  list_orders: [() => ({}), () => ({ cart_id: a.convertedCartId })],
  cancel_order: [() => ({ order_id: a.orderNumber }), () => ({ order_id: a.orderNumber, cart_id: a.convertedCartId })],
  refund_order: [() => ({ order_id: a.orderNumber }), () => ({ order_id: a.orderNumber, cart_id: a.convertedCartId })],
  reorder: [() => ({ order_id: a.orderNumber }), () => ({ order_id: a.orderNumber, cart_id: a.convertedCartId })],
};

describe('two accounts, every tool', () => {
  it('the table covers every tool the gateway lists', () => {
    expect(Object.keys(attempts).sort()).toEqual(tools.map((t) => t.name).sort());
  });

  for (const [tool, calls] of Object.entries(attempts)) {
    it(`${tool}: B gets nothing of A`, async () => {
      const b = await connectClient(stack.mcpUrl, { 'openai/session': `conv-bob-${tool}`, 'openai/subject': alice.subject }, bob.accessToken);
      for (const args of calls) {
        const sent = JSON.stringify(args());
        const result = await b.call(tool, args());
        const seen = JSON.stringify(result);
        // An error may repeat the handle B sent (that tells B nothing); anything else of A's must not appear.
        for (const secret of [a.openCartId, a.lineId, a.orderId, a.orderNumber, a.convertedCartId, addressA.line1, addressA.name, alice.subject].filter((x) => !sent.includes(x))) {
          expect(seen, `${tool}(${sent}) showed ${secret}`).not.toContain(secret);
        }
        if (sent.includes(a.openCartId) || sent.includes(a.orderNumber) || sent.includes(a.lineId)) expect(result.isError, `${tool}(${sent}) succeeded: ${seen.slice(0, 300)}`).toBe(true);
        // A's saved card is hers: B may see the test card offered to everyone, never as a saved method.
        const methods = (result.structuredContent as { payment_methods?: Array<{ id: string; saved?: boolean }> } | undefined)?.payment_methods ?? [];
        expect(methods.filter((m) => m.saved)).toEqual([]);
      }
      await b.close();
    });
  }

  it("A's cart, order and saved card are as she left them", async () => {
    const aliceClient = await connectClient(stack.mcpUrl, { 'openai/session': 'conv-alice-2' }, alice.accessToken);
    const cart = ok(await aliceClient.call('view_cart', { cart_id: a.openCartId }));
    expect(cart.cart.lines.map((l: any) => [l.id, l.quantity])).toEqual([[a.lineId, 1]]);
    expect(cart.cart.checkout.shipping_address.line1).toBe(addressA.line1);
    expect(cart.cart.coupon).toBeNull();
    const order = ok(await aliceClient.call('get_order_status', { order_id: a.orderNumber })).order;
    expect(order.status).toBe('confirmed');
    const listed = ok(await aliceClient.call('list_orders')).items.map((o: any) => o.number);
    expect(listed).toEqual([a.orderNumber]);
    const saved = ok(await aliceClient.call('list_payment_methods')).payment_methods.filter((m: any) => m.saved);
    expect(saved.map((m: any) => m.id)).toEqual(['pm_card_mastercard']);
    await aliceClient.close();
  });
});
