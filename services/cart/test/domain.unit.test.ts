import { describe, expect, it } from 'vitest';
import { AppError, type ProductDetail, type VariantInfo } from '@shop/contracts';
import { computeTotals, defaultPricingRules, discountFor, shippingOptions } from '../src/domain/pricing.js';
import { planAdd, MAX_LINES_PER_CART } from '../src/domain/limits.js';
import { assertAvailable, resolveVariant } from '../src/domain/variants.js';
import { appliedCoupon, couponRefusal, normaliseCode, type Coupon } from '../src/domain/coupons.js';
import { applyCheckoutChange, checkoutState, emptyCheckout } from '../src/domain/checkout.js';
import { reprice, type StoredLine } from '../src/domain/reprice.js';

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('pricing', () => {
  it('3 × 999 → subtotal 2997, shipping 599, tax 262, total 3858', () => {
    const t = computeTotals([{ unit_price: 999, quantity: 3 }], null, null);
    expect(t).toEqual({
      subtotal: 2997,
      discount: 0,
      shipping: 599,
      shipping_method: 'standard',
      shipping_is_estimate: true,
      tax: 262,
      total: 3858,
      item_count: 3,
      currency: 'USD',
    });
  });

  it('standard shipping is free at exactly 5000 after discount, charged at 4999', () => {
    expect(computeTotals([{ unit_price: 5000, quantity: 1 }], null, 'standard').shipping).toBe(0);
    expect(computeTotals([{ unit_price: 4999, quantity: 1 }], null, 'standard').shipping).toBe(599);
    // The threshold applies after the discount: 5500 − 10 % = 4950 < 5000.
    expect(computeTotals([{ unit_price: 5500, quantity: 1 }], { type: 'percentage', value: 10 }, 'standard').shipping).toBe(599);
  });

  it('rounds tax half-up at exactly half a cent', () => {
    // 200 × 8.75 % = 17.5 cents → 18; 8 × 8.75 % = 0.7 → 1; 600 × 8.75 % = 52.5 → 53.
    expect(computeTotals([{ unit_price: 200, quantity: 1 }], null, null).tax).toBe(18);
    expect(computeTotals([{ unit_price: 600, quantity: 1 }], null, null).tax).toBe(53);
    expect(computeTotals([{ unit_price: 8, quantity: 1 }], null, null).tax).toBe(1);
    // Just below half stays down: 199 × 8.75 % = 17.4125 → 17.
    expect(computeTotals([{ unit_price: 199, quantity: 1 }], null, null).tax).toBe(17);
  });

  it('applies percentage (half-up), fixed (capped) and free-shipping coupons', () => {
    expect(discountFor(2997, { type: 'percentage', value: 10 })).toBe(300); // 299.7 → 300
    expect(discountFor(2995, { type: 'percentage', value: 10 })).toBe(300); // 299.5 → 300
    expect(discountFor(2994, { type: 'percentage', value: 10 })).toBe(299);
    expect(discountFor(300, { type: 'fixed', value: 500 })).toBe(300);
    const t = computeTotals([{ unit_price: 2999, quantity: 1 }], { type: 'fixed', value: 500 }, 'standard');
    expect(t).toMatchObject({ subtotal: 2999, discount: 500, shipping: 599, tax: 219, total: 2999 - 500 + 599 + 219 });
    const free = computeTotals([{ unit_price: 999, quantity: 1 }], { type: 'free_shipping', value: 0 }, 'express');
    expect(free).toMatchObject({ discount: 0, shipping: 0, total: 999 + 87 });
  });

  it('charges express regardless of the threshold and reports a chosen method as final', () => {
    const t = computeTotals([{ unit_price: 9000, quantity: 1 }], null, 'express');
    expect(t).toMatchObject({ shipping: 1299, shipping_method: 'express', shipping_is_estimate: false });
  });

  it('is configurable', () => {
    const t = computeTotals([{ unit_price: 1000, quantity: 1 }], null, null, { ...defaultPricingRules, taxBasisPoints: 1000, shipping: { ...defaultPricingRules.shipping, standard: 100 } });
    expect(t).toMatchObject({ tax: 100, shipping: 100, total: 1200 });
  });

  it('an empty cart costs nothing', () => {
    expect(computeTotals([], null, null)).toMatchObject({ subtotal: 0, shipping: 0, tax: 0, total: 0, item_count: 0 });
  });
});

describe('shipping options', () => {
  const friday = new Date('2026-01-09T15:00:00Z');
  const prices = (lines: Array<{ unit_price: number; quantity: number }>, coupon: Parameters<typeof shippingOptions>[1] = null) =>
    shippingOptions(lines, coupon, friday).map((o) => [o.method, o.price]);

  it('prices every method as the totals would charge it: standard free from 50.00 of goods after discount, else 5.99; express 12.99', () => {
    expect(prices([{ unit_price: 8999, quantity: 2 }])).toEqual([
      ['standard', 0],
      ['express', 1299],
    ]);
    expect(prices([{ unit_price: 4999, quantity: 1 }])[0]).toEqual(['standard', 599]);
    // 5555 − 10 % (556) = 4999: under the threshold once the discount is taken.
    expect(prices([{ unit_price: 5555, quantity: 1 }], { type: 'percentage', value: 10 })[0]).toEqual(['standard', 599]);
    expect(prices([{ unit_price: 5000, quantity: 1 }])[0]).toEqual(['standard', 0]);
    for (const method of ['standard', 'express'] as const) {
      for (const lines of [[{ unit_price: 999, quantity: 3 }], [{ unit_price: 7000, quantity: 1 }]]) {
        const option = shippingOptions(lines, null, friday).find((o) => o.method === method)!;
        expect(option.price).toBe(computeTotals(lines, null, method).shipping);
      }
    }
  });

  it('costs nothing with a free-shipping coupon or an empty cart, and counts delivery windows in business days from today', () => {
    expect(prices([{ unit_price: 999, quantity: 1 }], { type: 'free_shipping', value: 0 })).toEqual([
      ['standard', 0],
      ['express', 0],
    ]);
    expect(prices([])).toEqual([
      ['standard', 0],
      ['express', 0],
    ]);
    const [standard, express] = shippingOptions([{ unit_price: 999, quantity: 1 }], null, friday);
    expect(standard).toEqual({ method: 'standard', label: 'Standard (5–7 business days)', price: 599, estimate: { earliest: '2026-01-16', latest: '2026-01-20' } });
    expect(express.estimate).toEqual({ earliest: '2026-01-13', latest: '2026-01-14' });
  });
});

describe('adding lines', () => {
  it('adding 1 then 2 of the same item gives one line of 3', () => {
    const lines: Array<{ variant_id: string; quantity: number }> = [];
    const first = planAdd(lines, 'v1', 1);
    expect(first).toEqual({ merge: false, quantity: 1, inCart: 0 });
    lines.push({ variant_id: 'v1', quantity: first.quantity });
    const second = planAdd(lines, 'v1', 2);
    expect(second).toEqual({ merge: true, quantity: 3, inCart: 1 });
  });

  it('refuses more than 99 of one item and more than 100 lines with CART_LIMIT', () => {
    expect(thrown(() => planAdd([{ variant_id: 'v1', quantity: 90 }], 'v1', 10)).code).toBe('CART_LIMIT');
    expect(planAdd([{ variant_id: 'v1', quantity: 90 }], 'v1', 9).quantity).toBe(99);
    const full = Array.from({ length: MAX_LINES_PER_CART }, (_, i) => ({ variant_id: `v${i}`, quantity: 1 }));
    expect(thrown(() => planAdd(full, 'new', 1)).code).toBe('CART_LIMIT');
    expect(planAdd(full, 'v3', 1).merge).toBe(true);
  });
});

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
function shoe(): ProductDetail {
  const variants = ['7', '8', '9', '10', '11'].map((size, i) => ({
    id: uuid(100 + i),
    sku: `PEG-${size}`,
    size,
    color: 'Black',
    price: 8999,
    stock: size === '10' ? 2 : 20,
    available: size === '10' ? 2 : 20,
    in_stock: true,
  }));
  return {
    id: uuid(1),
    name: 'Pegasus 41',
    brand: 'Nike',
    category: { slug: 'running', name: 'Running', path: ['Shoes', 'Running'] },
    price: 8999,
    price_max: 8999,
    currency: 'USD',
    rating: 4.5,
    review_count: 10,
    image_url: 'https://example.test/p.jpg',
    in_stock: true,
    available: 82,
    sizes: variants.map((v) => v.size),
    colors: ['Black'],
    tags: [],
    description: 'A shoe',
    active: true,
    variants,
    related: [],
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
  };
}

describe('variant resolution', () => {
  it('resolves "size 10" and "10" to the same variant', () => {
    expect(resolveVariant(shoe(), { size: 'size 10' }).sku).toBe('PEG-10');
    expect(resolveVariant(shoe(), { size: '10' }).sku).toBe('PEG-10');
    expect(resolveVariant(shoe(), { size: '10', color: 'black' }).sku).toBe('PEG-10');
  });

  it('refuses size XL on a shoe with VARIANT_NOT_FOUND listing the sizes', () => {
    const e = thrown(() => resolveVariant(shoe(), { size: 'XL' }));
    expect(e.code).toBe('VARIANT_NOT_FOUND');
    expect(e.message).toContain('Available sizes: 7, 8, 9, 10, 11');
    expect(e.details).toMatchObject({ field: 'size', sizes: ['7', '8', '9', '10', '11'] });
  });

  it('asks which size when several variants fit', () => {
    const e = thrown(() => resolveVariant(shoe(), {}));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(/Which size \(7, 8, 9, 10, 11\)/);
    expect(e.details).toMatchObject({ issues: [{ field: 'size', rule: 'required' }] });
  });

  it('refuses an unknown colour and an unknown variant id', () => {
    expect(thrown(() => resolveVariant(shoe(), { color: 'Purple' })).message).toContain('Available colours: Black');
    expect(thrown(() => resolveVariant(shoe(), { variant_id: uuid(999) })).code).toBe('VARIANT_NOT_FOUND');
  });

  it('a single-variant product needs no choice', () => {
    const mug = { ...shoe(), name: 'Mug', variants: [{ ...shoe().variants[0], size: null, color: null }] };
    expect(resolveVariant(mug, {}).id).toBe(mug.variants[0].id);
    expect(thrown(() => resolveVariant(mug, { size: 'L' })).message).toBe('Mug comes in one size only.');
  });
});

describe('availability', () => {
  const item = { name: 'Trailblazer', size: '10', color: null, variant_id: uuid(5) };
  it('says how many are left, with the size', () => {
    const e = thrown(() => assertAvailable(item, 2, 0, 3));
    expect(e.code).toBe('OUT_OF_STOCK');
    expect(e.message).toContain('Only 2 left in size 10');
    expect(e.details).toMatchObject({ available: 2, requested: 3 });
  });
  it('counts what is already in the cart', () => {
    expect(() => assertAvailable(item, 2, 1, 1)).not.toThrow();
    const e = thrown(() => assertAvailable(item, 2, 2, 1));
    expect(e.message).toContain('You already have 2 in your cart');
  });
  it('says units when there is no size', () => {
    expect(thrown(() => assertAvailable({ ...item, size: null, name: 'Mug' }, 2, 0, 5)).message).toContain('Only 2 units available');
  });
});

describe('coupons', () => {
  const base: Coupon = {
    code: 'WELCOME10',
    type: 'percentage',
    value: 10,
    min_subtotal: 2000,
    valid_from: null,
    valid_until: null,
    usage_limit: null,
    times_used: 0,
    active: true,
    description: '10 % off',
  };
  const now = new Date('2026-06-01T12:00:00Z');
  it('explains each refusal', () => {
    expect(couponRefusal(base, 1999, now)).toBe('WELCOME10 needs a subtotal of at least $20.00 (your subtotal is $19.99).');
    expect(couponRefusal(base, 2000, now)).toBeNull();
    expect(couponRefusal({ ...base, valid_until: new Date('2026-01-01T00:00:00Z') }, 5000, now)).toBe('WELCOME10 expired on Jan 1, 2026.');
    expect(couponRefusal({ ...base, valid_from: new Date('2026-07-01T00:00:00Z') }, 5000, now)).toBe('WELCOME10 is not valid until Jul 1, 2026.');
    expect(couponRefusal({ ...base, usage_limit: 5, times_used: 5 }, 5000, now)).toBe('WELCOME10 has reached its usage limit.');
    expect(couponRefusal({ ...base, active: false }, 5000, now)).toBe('WELCOME10 is no longer active.');
  });
  it('is valid inside its window and under its usage limit', () => {
    const windowed = { ...base, valid_from: new Date('2026-05-01T00:00:00Z'), valid_until: new Date('2026-06-01T12:00:01Z'), usage_limit: 5, times_used: 4 };
    expect(couponRefusal(windowed, 2000, now)).toBeNull();
    // valid_until is exclusive: at that instant the coupon has expired.
    expect(couponRefusal({ ...windowed, valid_until: now }, 2000, now)).toBe('WELCOME10 expired on Jun 1, 2026.');
  });
  it('reads codes case-insensitively and shows the shopper what was applied', () => {
    expect(normaliseCode('  welcome10 ')).toBe('WELCOME10');
    expect(normaliseCode('Save5')).toBe('SAVE5');
    expect(appliedCoupon(base)).toEqual({ code: 'WELCOME10', type: 'percentage', value: 10, description: '10 % off' });
    expect(appliedCoupon({ ...base, code: 'FREESHIP', type: 'free_shipping', value: 0, description: 'Free shipping' })).toEqual({
      code: 'FREESHIP',
      type: 'free_shipping',
      value: 0,
      description: 'Free shipping',
    });
  });
});

describe('checkout state', () => {
  const empty = emptyCheckout();
  const address = { name: 'Ada', line1: '1 Main St', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'US' };
  it('reports completed and missing steps and readiness', () => {
    expect(checkoutState(empty, true)).toMatchObject({ completed_steps: [], ready: false });
    const partial = applyCheckoutChange(empty, { shipping_address: address });
    expect(checkoutState(partial, true).completed_steps).toEqual(['shipping_address', 'billing_address']);
    const full = applyCheckoutChange(partial, { shipping_method: 'express', payment_method_id: 'pm_demo_visa', accept_terms: true });
    expect(checkoutState(full, true)).toMatchObject({ missing_steps: [], ready: true, billing_address: address });
    expect(checkoutState(full, false).ready).toBe(false);
  });
  it('a separate billing address turns off "same as shipping"', () => {
    const other = { ...address, name: 'Bob' };
    const c = applyCheckoutChange(empty, { billing_address: other });
    expect(c.billing_same_as_shipping).toBe(false);
    expect(checkoutState(c, true)).toMatchObject({ billing_address: other, completed_steps: ['billing_address'] });
  });
  it('"same as shipping" again bills the shipping address; billing elsewhere without an address leaves the step open', () => {
    const other = { ...address, name: 'Bob' };
    const shipped = applyCheckoutChange(empty, { shipping_address: address, billing_address: other });
    const same = applyCheckoutChange(shipped, { billing_same_as_shipping: true });
    expect(checkoutState(same, true)).toMatchObject({ billing_same_as_shipping: true, billing_address: address });
    const elsewhere = applyCheckoutChange(applyCheckoutChange(empty, { shipping_address: address }), { billing_same_as_shipping: false });
    expect(checkoutState(elsewhere, true)).toMatchObject({ billing_address: null, completed_steps: ['shipping_address'] });
    expect(checkoutState(elsewhere, true).missing_steps).toContain('billing_address');
  });
  it('records the wish to save the payment method, which is no checkout step', () => {
    expect(checkoutState(empty, true).save_payment_method).toBe(false);
    const save = applyCheckoutChange(empty, { save_payment_method: true });
    expect(checkoutState(save, true)).toMatchObject({ save_payment_method: true, completed_steps: [] });
    expect(applyCheckoutChange(save, { shipping_method: 'standard' }).save_payment_method).toBe(true);
    expect(applyCheckoutChange(save, { save_payment_method: false }).save_payment_method).toBe(false);
  });
});

describe('re-pricing', () => {
  const line = (n: number, over: Partial<StoredLine> = {}): StoredLine => ({
    id: uuid(n),
    product_id: uuid(1),
    variant_id: uuid(100 + n),
    name: 'Pegasus 41',
    brand: 'Nike',
    size: '10',
    color: null,
    image_url: '',
    unit_price: 8999,
    quantity: 3,
    ...over,
  });
  const info = (l: StoredLine, over: Partial<VariantInfo> = {}): VariantInfo => ({
    variant_id: l.variant_id,
    product_id: l.product_id,
    name: l.name,
    brand: l.brand,
    size: l.size,
    color: l.color,
    image_url: l.image_url,
    price: l.unit_price,
    currency: 'USD',
    available: 50,
    active: true,
    ...over,
  });
  it('changes nothing when the catalog agrees', () => {
    const l = line(1);
    const r = reprice([l], new Map([[l.variant_id, info(l)]]));
    expect(r).toMatchObject({ changes: [], messages: [], purchasable: true });
    expect(r.lines[0].available).toBe(50);
  });
  it('takes a new price and says so', () => {
    const l = line(1);
    const r = reprice([l], new Map([[l.variant_id, info(l, { price: 7999 })]]));
    expect(r.changes).toEqual([{ line_id: l.id, unit_price: 7999 }]);
    expect(r.messages[0]).toMatchObject({ type: 'price_changed', line_id: l.id, old_price: 8999, new_price: 7999 });
    expect(r.messages[0].message).toContain('from $89.99 to $79.99');
    expect(r.lines[0].unit_price).toBe(7999);
  });
  it('lowers the quantity to what is left, and flags out-of-stock and withdrawn lines', () => {
    const a = line(1);
    const b = line(2);
    const c = line(3);
    const r = reprice([a, b, c], new Map([
      [a.variant_id, info(a, { available: 2 })],
      [b.variant_id, info(b, { available: 0 })],
    ]));
    expect(r.changes).toEqual([{ line_id: a.id, quantity: 2 }]);
    expect(r.messages.map((m) => [m.type, m.available])).toEqual([
      ['quantity_reduced', 2],
      ['out_of_stock', 0],
      ['unavailable', 0],
    ]);
    expect(r.messages[0].message).toContain('Only 2 left in size 10');
    expect(r.lines.map((l) => l.available)).toEqual([2, 0, 0]);
    expect(r.purchasable).toBe(false);
  });
  it('reports a price that went up and a lower quantity of an item without size in one change', () => {
    const mug = line(1, { name: 'Classic Mug', size: null, color: 'White', unit_price: 999 });
    const r = reprice([mug], new Map([[mug.variant_id, info(mug, { price: 1099, available: 2 })]]));
    expect(r.changes).toEqual([{ line_id: mug.id, unit_price: 1099, quantity: 2 }]);
    expect(r.messages.map((m) => m.message)).toEqual([
      'The price of Classic Mug (White) went up from $9.99 to $10.99; your cart uses the new price.',
      'Only 2 left of Classic Mug (White): we lowered your quantity from 3 to 2.',
    ]);
    expect(r.lines[0]).toMatchObject({ unit_price: 1099, quantity: 2, available: 2 });
    expect(r.purchasable).toBe(true);
  });
  it('an empty cart cannot be bought', () => {
    expect(reprice([], new Map())).toEqual({ lines: [], changes: [], messages: [], purchasable: false });
  });
});
