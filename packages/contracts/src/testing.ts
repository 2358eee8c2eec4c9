// Contract-shaped values for tests in any workspace (presenters, widgets, domain rules): one copy
// of each empty or typical shape, changed per test through `over`. Not used by any service.
import type { Cart, Order } from './index.js';

/** A checkout nobody has filled in yet: every step missing. */
export function checkoutFixture(over: Partial<Cart['checkout']> = {}): Cart['checkout'] {
  return {
    shipping_address: null,
    shipping_method: null,
    billing_same_as_shipping: true,
    billing_address: null,
    payment_method_id: null,
    terms_accepted: false,
    completed_steps: [],
    missing_steps: ['shipping_address', 'shipping_method', 'payment_method', 'terms'],
    ready: false,
    started: false,
    ...over,
  };
}


export function cartFixture(over: Partial<Cart> = {}): Cart {
  return {
    id: 'a'.repeat(32),
    status: 'active',
    owner_subject: null,
    conversation: 'conv-1',
    currency: 'USD',
    lines: [
      {
        id: '11111111-1111-4111-8111-111111111111',
        product_id: '22222222-2222-4222-8222-222222222222',
        variant_id: '33333333-3333-4333-8333-333333333333',
        name: 'Pegasus 41 Road Running Shoe',
        brand: 'Nike',
        size: '10',
        color: 'Black',
        image_url: 'http://localhost:3000/images/22222222-2222-4222-8222-222222222222.svg',
        unit_price: 8999,
        quantity: 2,
        line_subtotal: 17998,
        available: 5,
      },
    ],
    coupon: null,
    totals: { subtotal: 17998, discount: 0, shipping: 0, shipping_method: 'standard', shipping_is_estimate: true, tax: 1575, total: 19573, item_count: 2, currency: 'USD' },
    shipping_options: [
      { method: 'standard', label: 'Standard (5–7 business days)', price: 0, estimate: { earliest: '2026-01-12', latest: '2026-01-14' } },
      { method: 'express', label: 'Express (2–3 business days)', price: 1299, estimate: { earliest: '2026-01-07', latest: '2026-01-08' } },
    ],
    messages: [],
    checkout: checkoutFixture({ started: true }),
    version: 3,
    created_at: '2026-01-05T10:00:00.000Z',
    updated_at: '2026-01-05T10:05:00.000Z',
    ...over,
  };
}

const address = { name: 'Ada Lovelace', line1: '1 Main St', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'US' };

export function orderFixture(over: Partial<Order> = {}): Order {
  return {
    id: '44444444-4444-4444-8444-444444444444',
    number: 'ORD-2026-00042',
    status: 'confirmed',
    cart_id: 'a'.repeat(32),
    owner_subject: 'user-1',
    conversation: 'conv-1',
    lines: [],
    coupon: null,
    subtotal: 8999,
    discount: 0,
    shipping: 1299,
    tax: 787,
    total: 11085,
    currency: 'USD',
    item_count: 1,
    shipping_method: 'express',
    shipping_address: address,
    billing_address: address,
    estimated_delivery: { earliest: '2026-01-07', latest: '2026-01-08' },
    payment: { status: 'captured', brand: 'visa', last4: '4242' },
    tracking: null,
    timeline: [],
    reason: null,
    created_at: '2026-01-05T10:00:00.000Z',
    updated_at: '2026-01-05T10:00:00.000Z',
    ...over,
  };
}
