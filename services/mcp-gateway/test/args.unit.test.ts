import { describe, expect, it } from 'vitest';
import { dollarsToCents, toolArgs } from '@shop/contracts';
import { appToolMeta, normaliseOrderId } from '../src/app/shared.js';

const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) => r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

describe('tool argument schemas', () => {
  it('accept dollars as the shopper says them and convert them to cents exactly', () => {
    const a = toolArgs.search_products.parse({ query: 'running shoes', max_price: 100, min_price: 19.99 });
    expect([dollarsToCents(a.min_price!), dollarsToCents(a.max_price!)]).toEqual([1999, 10000]);
    expect(dollarsToCents(toolArgs.search_products.parse({ max_price: 0.1 }).max_price!)).toBe(10);
  });

  it('refuse negative, over-precise, reversed and unknown arguments, naming the field', () => {
    expect(issues(toolArgs.search_products.safeParse({ min_price: -1 }))).toEqual(['min_price: must not be negative']);
    expect(issues(toolArgs.search_products.safeParse({ max_price: 19.999 }))).toEqual(['max_price: must have at most 2 decimals']);
    expect(issues(toolArgs.search_products.safeParse({ min_price: 50, max_price: 10 }))).toEqual(['min_price: must not be greater than max_price']);
    expect(toolArgs.search_products.safeParse({ colour: 'red' }).success).toBe(false);
    expect(toolArgs.search_products.safeParse({ query: 'x'.repeat(201) }).success).toBe(false);
    expect(toolArgs.search_products.safeParse({ per_page: 51 }).success).toBe(false);
  });

  it('refuse bad ids, quantities and card data', () => {
    expect(toolArgs.get_product_details.safeParse({ product_id: 'nope' }).success).toBe(false);
    expect(toolArgs.add_to_cart.safeParse({ product_id: '22222222-2222-4222-8222-222222222222', quantity: 0 }).success).toBe(false);
    expect(toolArgs.add_to_cart.safeParse({ product_id: '22222222-2222-4222-8222-222222222222', quantity: 1.5 }).success).toBe(false);
    expect(toolArgs.add_to_cart.safeParse({ product_id: '22222222-2222-4222-8222-222222222222', session_id: 'guessable' }).success).toBe(false);
    expect(issues(toolArgs.add_to_cart.safeParse({ product_id: '22222222-2222-4222-8222-222222222222', cart_id: 'guessable' }))).toEqual(['cart_id: must be a server-issued cart id (32 hex characters)']);
    expect(toolArgs.update_cart_item.safeParse({ item_id: '11111111-1111-4111-8111-111111111111', quantity: 0 }).success).toBe(true);
    expect(toolArgs.update_cart_item.safeParse({ item_id: '11111111-1111-4111-8111-111111111111', quantity: -1 }).success).toBe(false);
    expect(toolArgs.update_checkout.safeParse({ payment_method_id: '4242 4242 4242 4242' }).success).toBe(false);
    expect(toolArgs.place_order.safeParse({ idempotency_key: 'short' }).success).toBe(false);
  });

  it('accept an order id or an ORD- number in any case', () => {
    expect(toolArgs.get_order_status.safeParse({ order_id: 'ord-2026-00042' }).success).toBe(true);
    expect(normaliseOrderId('ord-2026-00042')).toBe('ORD-2026-00042');
    expect(normaliseOrderId('44444444-4444-4444-8444-44444444444A')).toBe('44444444-4444-4444-8444-44444444444a');
    expect(toolArgs.get_order_status.safeParse({ order_id: 'ORD-1' }).success).toBe(false);
  });

  it('validate a US shipping address', () => {
    const ok = { name: 'Ada', line1: '1 Main St', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'us' };
    expect(toolArgs.update_checkout.parse({ shipping_address: ok }).shipping_address?.country).toBe('US');
    expect(issues(toolArgs.update_checkout.safeParse({ shipping_address: { ...ok, postal_code: '9410' } }))).toEqual(['shipping_address.postal_code: must be a valid US postal code (e.g. 94107 or 94107-1234)']);
  });
});

describe('tool _meta', () => {
  it('points both hosts at the widget and keeps status lines within 64 characters', () => {
    expect(appToolMeta('cart', 'Opening your cart…', 'Cart ready')).toEqual({
      ui: { resourceUri: 'ui://widget/cart.v3.html', visibility: ['model', 'app'] },
      'openai/outputTemplate': 'ui://widget/cart.v3.html',
      'openai/toolInvocation/invoking': 'Opening your cart…',
      'openai/toolInvocation/invoked': 'Cart ready',
      'openai/widgetAccessible': true,
    });
  });
});
