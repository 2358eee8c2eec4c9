import { describe, expect, it } from 'vitest';
import { AppError, Cart, Order } from '@shop/contracts';
import { addBusinessDays } from '@shop/contracts';
import { estimateDelivery } from '../src/domain/delivery.js';
import { formatOrderNumber, isOrderNumber } from '../src/domain/order-number.js';
import {
  cartChangedError,
  checkCartPlaceable,
  closedLinkReason,
  convertedByAnotherOrder,
  convertedElsewhereReason,
  linkAlreadyPaidError,
  linkReplacement,
  linkReservationTtlSeconds,
  assertChain,
  cartOrderedError,
  linkPaymentMismatch,
  missingStepsMessage,
  orderInProgressError,
  recoveryPlan,
  shortageMessage,
  type StepShape,
} from '../src/domain/saga.js';
import { checkoutLink, directCharge } from '../src/app/placement/flows.js';
import { makeTracking } from '../src/domain/tracking.js';
import { escapeHtml, renderNotification } from '../src/domain/email.js';

const utc = (s: string) => new Date(`${s}T12:00:00Z`);
const iso = (d: Date) => d.toISOString().slice(0, 10);

describe('order numbers', () => {
  it('pads the sequence to at least 5 digits', () => {
    expect(formatOrderNumber(2026, 42)).toBe('ORD-2026-00042');
    expect(formatOrderNumber(2026, 1234567)).toBe('ORD-2026-1234567');
    expect(isOrderNumber('ORD-2026-00042')).toBe(true);
    expect(isOrderNumber('ORD-2026-42')).toBe(false);
    expect(() => formatOrderNumber(2026, 0)).toThrow(RangeError);
  });
});

describe('delivery estimates in business days', () => {
  it('skips weekends', () => {
    // 2026-03-06 is a Friday: the next business day is Monday the 9th.
    expect(iso(addBusinessDays(utc('2026-03-06'), 1))).toBe('2026-03-09');
    expect(iso(addBusinessDays(utc('2026-03-07'), 1))).toBe('2026-03-09'); // Saturday
    expect(iso(addBusinessDays(utc('2026-03-02'), 5))).toBe('2026-03-09'); // Monday + 5
  });
  it('standard is 5–7 and express 2–3 business days', () => {
    expect(estimateDelivery('standard', utc('2026-03-04'))).toEqual({ earliest: '2026-03-11', latest: '2026-03-13' }); // Wednesday
    expect(estimateDelivery('express', utc('2026-03-05'))).toEqual({ earliest: '2026-03-09', latest: '2026-03-10' }); // Thursday
    expect(estimateDelivery('express', utc('2026-03-08'))).toEqual({ earliest: '2026-03-10', latest: '2026-03-11' }); // Sunday
  });
});

describe('the placement step lists', () => {
  it('read as the saga: each step runs from where the one before landed', () => {
    expect(directCharge.map((s) => s.name)).toEqual(['validate-cart', 'reserve-coupon', 'reserve-stock', 'charge-payment', 'confirm-order']);
    expect(checkoutLink.map((s) => s.name)).toEqual(['validate-cart', 'reserve-coupon', 'reserve-stock', 'request-checkout-link', 'await-link-payment', 'confirm-order']);
    expect(directCharge.map((s) => s.to)).toEqual(['validated', 'coupon_reserved', 'reserved', 'charged', 'confirmed']);
    // The coupon use is taken before the stock is held and before any money moves.
    for (const steps of [directCharge, checkoutLink]) expect(steps.findIndex((s) => s.name === 'reserve-coupon')).toBeLessThan(steps.findIndex((s) => s.name === 'reserve-stock'));
  });
  it('refuse a list with a gap or one that does not end confirmed', () => {
    const step = (name: string, from: StepShape['from'], to: StepShape['to']): StepShape => ({ name, from, to, recovery: 'abandon' });
    expect(() => assertChain([step('a', 'created', 'validated'), step('b', 'reserved', 'confirmed')])).toThrow(/step b runs from reserved/);
    expect(() => assertChain([step('a', 'created', 'validated')])).toThrow(/lands on validated, not confirmed/);
  });
  it('undo what they did: every step that holds something has a compensation', () => {
    const undoes = (steps: typeof directCharge) => steps.filter((s) => s.compensate).map((s) => s.name);
    expect(undoes(directCharge)).toEqual(['reserve-coupon', 'reserve-stock', 'charge-payment']);
    expect(undoes(checkoutLink)).toEqual(['reserve-coupon', 'reserve-stock', 'request-checkout-link']);
  });
});

describe('saga recovery, derived from the step lists', () => {
  const grace = 60_000;
  it('confirms charged orders and finishes compensations at once', () => {
    for (const steps of [directCharge, checkoutLink]) {
      expect(recoveryPlan(steps, 'charged', 0, grace)).toEqual({ do: 'resume', step: 'confirm-order' });
      expect(recoveryPlan(steps, 'compensating', 0, grace)).toEqual({ do: 'compensate' });
    }
  });
  it('waits for the grace period before touching steps another process may hold', () => {
    for (const step of ['created', 'validated', 'coupon_reserved', 'reserved', 'charging'] as const) expect(recoveryPlan(directCharge, step, 1_000, grace)).toEqual({ do: 'wait' });
  });
  it('abandons stale sagas that never started payment and resumes started charges', () => {
    for (const step of ['created', 'validated', 'coupon_reserved', 'reserved'] as const) expect(recoveryPlan(directCharge, step, 61_000, grace)).toEqual({ do: 'abandon' });
    expect(recoveryPlan(directCharge, 'charging', 61_000, grace)).toEqual({ do: 'resume', step: 'charge-payment' });
    // A link requested but not recorded: voiding whatever payment exists closes it.
    expect(recoveryPlan(checkoutLink, 'reserved', 61_000, grace)).toEqual({ do: 'abandon' });
  });
  it('asks payments how a link stands whenever recovery lists the order', () => {
    expect(recoveryPlan(checkoutLink, 'awaiting_payment', 0, grace)).toEqual({ do: 'resume', step: 'await-link-payment' });
    expect(recoveryPlan(checkoutLink, 'awaiting_payment', 1e9, grace)).toEqual({ do: 'resume', step: 'await-link-payment' });
  });
  it('leaves finished sagas alone, and steps another list does not have', () => {
    for (const step of ['confirmed', 'failed', 'refused'] as const) expect(recoveryPlan(directCharge, step, 1e9, 0)).toEqual({ do: 'none' });
    expect(recoveryPlan(directCharge, 'awaiting_payment', 1e9, 0)).toEqual({ do: 'none' });
  });
});

describe('one placement per cart', () => {
  it('names the order in progress, and the order a cart became', () => {
    expect(orderInProgressError({ id: 'o-1', number: 'ORD-2026-00042' }).toBody()).toEqual({
      code: 'ORDER_IN_PROGRESS',
      message: "This cart is already being placed as order ORD-2026-00042. Nothing more was reserved or charged: check that order's status in a moment.",
      details: { order_id: 'o-1', order_number: 'ORD-2026-00042' },
    });
    expect(cartOrderedError({ id: 'o-1', number: 'ORD-2026-00042' }).toBody()).toMatchObject({ code: 'CART_NOT_ACTIVE', details: { order_id: 'o-1', order_number: 'ORD-2026-00042' } });
  });
});

const address = { name: 'Ada <Lovelace>', line1: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
function cart(over: Partial<Cart> = {}, checkout: Partial<Cart['checkout']> = {}): Cart {
  return Cart.parse({
    id: 'a'.repeat(32),
    status: 'active',
    owner_subject: 'user-1',
    conversation: 'conv-1',
    currency: 'USD',
    lines: [
      {
        id: '00000000-0000-4000-8000-000000000001',
        product_id: '00000000-0000-4000-8000-000000000002',
        variant_id: '00000000-0000-4000-8000-000000000003',
        name: 'Trail Runner',
        brand: 'Acme',
        size: '42',
        color: 'Red',
        image_url: 'https://img.example/1.jpg',
        unit_price: 999,
        quantity: 3,
        line_subtotal: 2997,
        available: 10,
      },
    ],
    coupon: null,
    totals: { subtotal: 2997, discount: 0, shipping: 599, shipping_method: 'standard', shipping_is_estimate: false, tax: 262, total: 3858, item_count: 3, currency: 'USD' },
    shipping_options: [
      { method: 'standard', label: 'Standard (5–7 business days)', price: 599, estimate: { earliest: '2026-01-12', latest: '2026-01-14' } },
      { method: 'express', label: 'Express (2–3 business days)', price: 1299, estimate: { earliest: '2026-01-07', latest: '2026-01-08' } },
    ],
    messages: [],
    checkout: {
      shipping_address: address,
      shipping_method: 'standard',
      billing_same_as_shipping: true,
      billing_address: null,
      payment_method_id: 'pm_card_visa',
      terms_accepted: true,
      completed_steps: ['shipping_address', 'shipping_method', 'billing_address', 'payment_method', 'terms'],
      missing_steps: [],
      ready: true,
      started: true,
      ...checkout,
    },
    version: 3,
    created_at: '2026-03-01T10:00:00Z',
    updated_at: '2026-03-01T10:00:00Z',
    ...over,
  });
}

describe('placement checks', () => {
  it('accepts a ready cart, taking the payment method from the argument over the checkout', () => {
    expect(checkCartPlaceable(cart(), undefined)).toEqual({ paymentMethodId: 'pm_card_visa', customer: 'user-1', saveMethodFor: null });
    expect(checkCartPlaceable(cart(), 'pm_card_chargeDeclined').paymentMethodId).toBe('pm_card_chargeDeclined');
    expect(checkCartPlaceable(cart({ owner_subject: null }), undefined).customer).toBe('conv-1');
    // A cart without a conversation (from before the cart service made it its own) is its own conversation.
    expect(checkCartPlaceable(cart({ owner_subject: null, conversation: null }), undefined).customer).toBe(`cart:${cart().id}`);
  });
  it('saves the payment method only for an owner subject who asked, never for a bare conversation', () => {
    expect(checkCartPlaceable(cart({}, { save_payment_method: true }), undefined).saveMethodFor).toBe('user-1');
    expect(checkCartPlaceable(cart({}, { save_payment_method: false }), undefined).saveMethodFor).toBeNull();
    expect(checkCartPlaceable(cart({ owner_subject: null }, { save_payment_method: true }), undefined)).toMatchObject({ customer: 'conv-1', saveMethodFor: null });
  });
  it('refuses a cart that changed on re-validation (price, quantity, coupon) with the changes and the new total', () => {
    const priceUp = {
      type: 'price_changed' as const,
      line_id: '00000000-0000-4000-8000-000000000001',
      message: 'The price of Trail Runner (size 42, Red) went up from $9.99 to $10.99; your cart uses the new price.',
      old_price: 999,
      new_price: 1099,
    };
    const changed = cart({ messages: [priceUp], totals: { ...cart().totals, subtotal: 3297, tax: 288, total: 4184 } });
    const err = cartChangedError(changed, undefined)!;
    expect(err.code).toBe('CART_CHANGED');
    expect(err.message).toBe(`Your cart changed: ${priceUp.message} The total is now $41.84. Nothing was charged.`);
    expect(err.details).toEqual({ messages: [priceUp], total: 4184, currency: 'USD' });
    expect(() => checkCartPlaceable(changed, undefined)).toThrow(expect.objectContaining({ code: 'CART_CHANGED' }));

    const coupon = { type: 'coupon_removed' as const, line_id: null, message: 'Coupon SAVE5 was removed: it needs $25.00 of goods.' };
    const reduced = { type: 'quantity_reduced' as const, line_id: priceUp.line_id, message: 'Only 2 left in size 42 of Trail Runner: we lowered your quantity from 3 to 2.', available: 2 };
    expect(cartChangedError(cart({ messages: [reduced, coupon] }), undefined)!.message).toBe(`Your cart changed: ${reduced.message} ${coupon.message} The total is now $38.58. Nothing was charged.`);
  });
  it('refuses a total other than the one confirmed, and accepts the same one', () => {
    expect(cartChangedError(cart(), 3858)).toBeNull();
    expect(cartChangedError(cart(), undefined)).toBeNull();
    const err = cartChangedError(cart(), 3500)!;
    expect(err.message).toBe('Your cart changed: you confirmed a total of $35.00. The total is now $38.58. Nothing was charged.');
    expect(err.details).toMatchObject({ total: 3858, expected_total: 3500 });
    expect(checkCartPlaceable(cart(), undefined, 3858).customer).toBe('user-1');
    // A line the catalog cannot supply is no change of price: it stays OUT_OF_STOCK.
    const gone = cart({ messages: [{ type: 'out_of_stock', line_id: null, message: 'Trail Runner is out of stock. Remove it to check out.', available: 0 }] });
    expect(cartChangedError(gone, undefined)).toBeNull();
  });
  it('refuses an empty cart', () => {
    expect(() => checkCartPlaceable(cart({ lines: [] }), undefined)).toThrow(expect.objectContaining({ code: 'CART_EMPTY' }));
  });
  it('refuses missing checkout steps, naming them', () => {
    const c = cart({}, { shipping_address: null, missing_steps: ['shipping_address', 'terms'], ready: false });
    const err = (() => {
      try {
        checkCartPlaceable(c, undefined);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ code: 'CHECKOUT_INCOMPLETE', details: { missing_steps: ['shipping_address', 'terms'] } });
    expect((err as Error).message).toMatch(/^Add a shipping address first/);
    expect((err as Error).message).toContain('accept the terms');
  });
  it('a payment method argument satisfies the payment step', () => {
    const c = cart({}, { payment_method_id: null, missing_steps: ['payment_method'], ready: false });
    expect(() => checkCartPlaceable(c, undefined)).toThrow(expect.objectContaining({ code: 'CHECKOUT_INCOMPLETE', details: { missing_steps: ['payment_method'] } }));
    expect(checkCartPlaceable(c, 'pm_card_visa').paymentMethodId).toBe('pm_card_visa');
  });
  it('refuses lines the catalog can no longer supply, saying how many are available', () => {
    const c = cart();
    c.lines[0].available = 2;
    expect(() => checkCartPlaceable(c, undefined)).toThrow(
      expect.objectContaining({ code: 'OUT_OF_STOCK', message: 'Only 2 of Trail Runner are available', details: { items: [expect.objectContaining({ requested: 3, available: 2 })] } }),
    );
    expect(shortageMessage([{ name: 'Cap', available: 0 }])).toBe('Cap is out of stock');
  });
  it('refuses a cart that is no longer active', () => {
    expect(() => checkCartPlaceable(cart({ status: 'converted' }), undefined)).toThrow(expect.objectContaining({ code: 'CART_NOT_ACTIVE' }));
  });
  it('words the missing steps', () => {
    expect(missingStepsMessage(['shipping_address'])).toBe('Add a shipping address first');
    expect(missingStepsMessage(['payment_method', 'terms'])).toBe('Choose a payment method first. Still to do: accept the terms and conditions');
  });
});

describe('orders paid through a checkout link', () => {
  it("need no payment method and save none: the shopper picks the card on the link's page", () => {
    const c = cart({}, { payment_method_id: null, missing_steps: ['payment_method'], ready: false, save_payment_method: true });
    expect(checkCartPlaceable(c, undefined, undefined, 'checkout_link')).toEqual({ paymentMethodId: null, customer: 'user-1', saveMethodFor: null });
    expect(checkCartPlaceable(cart(), undefined, 3858, 'checkout_link').paymentMethodId).toBeNull();
  });
  it('still need every other step, the confirmed total and something to pay', () => {
    const noTerms = cart({}, { payment_method_id: null, missing_steps: ['payment_method', 'terms'], ready: false });
    expect(() => checkCartPlaceable(noTerms, undefined, undefined, 'checkout_link')).toThrow(expect.objectContaining({ code: 'CHECKOUT_INCOMPLETE', details: { missing_steps: ['terms'] } }));
    expect(() => checkCartPlaceable(cart(), undefined, 3500, 'checkout_link')).toThrow(expect.objectContaining({ code: 'CART_CHANGED' }));
    const free = cart({ totals: { ...cart().totals, total: 0 } });
    expect(() => checkCartPlaceable(free, undefined, undefined, 'checkout_link')).toThrow(expect.objectContaining({ code: 'CHECKOUT_INCOMPLETE' }));
  });
  it("hold their stock for longer than the link is open, within the catalog's one-day limit", () => {
    expect(linkReservationTtlSeconds(60, 900)).toBe(4_500);
    expect(linkReservationTtlSeconds(60, 900)).toBeGreaterThan(60 * 60);
    expect(linkReservationTtlSeconds(1_380, 900)).toBeGreaterThan(1_380 * 60);
    expect(linkReservationTtlSeconds(1_440, 900)).toBe(86_400);
  });
  it("are confirmed only by this order's payment, captured, for its total", () => {
    const order = { id: 'o-1', total: 3858, currency: 'USD' };
    const paid = { order_id: 'o-1', status: 'captured' as const, amount: 3858, amount_captured: 3858, currency: 'USD' as const };
    expect(linkPaymentMismatch(order, paid)).toBeNull();
    expect(linkPaymentMismatch(order, { ...paid, order_id: 'o-2' })).toBe('the payment belongs to order o-2');
    expect(linkPaymentMismatch(order, { ...paid, status: 'pending' })).toBe('the payment is pending, not captured');
    expect(linkPaymentMismatch(order, { ...paid, amount: 100, amount_captured: 100 })).toMatch(/captured 100 of 100, the order's total is 3858/);
    expect(linkPaymentMismatch(order, { ...paid, amount_captured: 3000 })).not.toBeNull();
  });
  it('are cancelled with a reason the shopper can read', () => {
    expect(closedLinkReason('checkout_expired')).toBe('The checkout link expired before it was paid, so the order was cancelled. You have not been charged.');
    expect(closedLinkReason('checkout_canceled')).toBe('The payment was cancelled on the checkout page, so the order was cancelled. You have not been charged.');
    expect(closedLinkReason(null)).toMatch(/You have not been charged\.$/);
  });
});

describe('one payment per cart: a direct placement and a checkout link', () => {
  it('closes a link not paid yet, cancels one already closed, and refuses the placement for one paid', () => {
    expect(linkReplacement(null)).toBe('close');
    expect(linkReplacement('pending')).toBe('close');
    for (const closed of ['voided', 'canceled', 'failed'] as const) expect(linkReplacement(closed)).toBe('closed');
    for (const paid of ['captured', 'authorized', 'requires_action', 'partially_refunded', 'refunded'] as const) expect(linkReplacement(paid)).toBe('paid');
  });
  it('names the paid order when refusing', () => {
    const err = linkAlreadyPaidError({ id: 'o-1', number: 'ORD-2026-00042' });
    expect(err.toBody()).toEqual({
      code: 'CART_NOT_ACTIVE',
      message: 'This cart was already paid through the checkout link: order ORD-2026-00042. Nothing was charged again.',
      details: { order_id: 'o-1', order_number: 'ORD-2026-00042' },
    });
  });
  it("finds the other order a cart became, and only that cause, when converting it is refused", () => {
    const refused = new AppError('CART_NOT_ACTIVE', 'This cart was already turned into another order.', { cart_id: 'c', order_id: 'other' });
    expect(convertedByAnotherOrder(refused, 'mine')).toBe('other');
    expect(convertedByAnotherOrder(refused, 'other')).toBeNull();
    expect(convertedByAnotherOrder(new AppError('CART_NOT_FOUND', 'gone'), 'mine')).toBeNull();
    expect(convertedByAnotherOrder(new AppError('CART_NOT_ACTIVE', 'expired'), 'mine')).toBeNull();
    expect(convertedElsewhereReason('ORD-2026-00042')).toBe('This cart was already checked out as order ORD-2026-00042, so this order was cancelled and your payment refunded.');
    expect(convertedElsewhereReason(null)).toContain('as another order');
  });
});

describe('tracking', () => {
  it('builds a carrier tracking number and URL', () => {
    expect(makeTracking('express', '123456789012345678', 'https://track.example/')).toEqual({
      carrier: 'UPS',
      number: '1Z123456789012345678',
      url: 'https://track.example/ups/1Z123456789012345678',
    });
    expect(makeTracking('standard', '000000000000000001', 'https://t.example').carrier).toBe('USPS');
    expect(() => makeTracking('standard', '12', 'https://t.example')).toThrow(RangeError);
  });
});

describe('confirmation email', () => {
  const order = Order.parse({
    id: '00000000-0000-4000-8000-0000000000aa',
    number: 'ORD-2026-00042',
    status: 'confirmed',
    cart_id: 'a'.repeat(32),
    owner_subject: 'user-1',
    conversation: null,
    lines: [
      {
        product_id: '00000000-0000-4000-8000-000000000002',
        variant_id: '00000000-0000-4000-8000-000000000003',
        name: 'Socks <script>alert(1)</script> & "more"',
        brand: 'Acme',
        size: 'M',
        color: null,
        image_url: 'x',
        unit_price: 999,
        quantity: 3,
        line_subtotal: 2997,
      },
    ],
    coupon: { code: 'SAVE10', type: 'percentage', value: 10, description: '10% off' },
    subtotal: 2997,
    discount: 300,
    shipping: 599,
    tax: 236,
    total: 3532,
    currency: 'USD',
    item_count: 3,
    shipping_method: 'standard',
    shipping_address: address,
    billing_address: address,
    estimated_delivery: { earliest: '2026-03-11', latest: '2026-03-13' },
    payment: { status: 'captured', brand: 'visa', last4: '4242' },
    tracking: null,
    timeline: [],
    reason: null,
    created_at: '2026-03-04T10:00:00Z',
    updated_at: '2026-03-04T10:00:00Z',
  });
  it('names the order, items, totals and delivery window', () => {
    const mail = renderNotification({ kind: 'confirmed', order });
    expect(mail.subject).toBe('Your order ORD-2026-00042 is confirmed');
    for (const part of ['ORD-2026-00042', '$29.97', '$3.00', '$5.99', '$2.36', '$35.32', '2026-03-11', '2026-03-13', 'SAVE10']) {
      expect(mail.text).toContain(part);
      expect(mail.html).toContain(part);
    }
  });
  it('escapes every shopper-controlled value in the HTML', () => {
    const { html } = renderNotification({ kind: 'confirmed', order });
    expect(html).not.toContain('<script>');
    expect(html).toContain('Socks &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;');
    expect(html).toContain('Ada &lt;Lovelace&gt;');
    expect(escapeHtml(`<a href='x'>&</a>`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;');
  });
});
