import { describe, expect, it } from 'vitest';
import { PaymentStatus } from '@shop/contracts';
import { assertTransition, canTransition, isTerminal, refundAmount, statusAfterRefund, transitions, type Cause } from '../src/domain/payment-state.js';
import { containsCardNumber, findCardData, luhnValid } from '@shop/contracts';
import { failureCode, interpretStripeEvent, statusFromIntent } from '../src/domain/stripe-mapping.js';
import { checkoutLineItems } from '../src/domain/checkout.js';
import { demoMethods, testCardMethods, findDemoMethod } from '../src/domain/demo-methods.js';
import { mergeMethods, methodLabel } from '../src/domain/saved-methods.js';
import { demoAuthenticationEvent, demoCheckoutCompletedEvent } from '../src/domain/demo-events.js';

const causes: Cause[] = ['provider', 'capture', 'void', 'refund'];

describe('payment state table', () => {
  it('makes failed, voided, canceled and refunded terminal', () => {
    for (const s of ['failed', 'voided', 'canceled', 'refunded'] as const) {
      expect(isTerminal(s)).toBe(true);
      for (const to of PaymentStatus.options) for (const c of causes) expect(canTransition(s, to, c)).toBe(false);
    }
  });

  it('moves a captured payment to refunded only through refunds', () => {
    expect(canTransition('captured', 'refunded', 'refund')).toBe(true);
    expect(canTransition('captured', 'partially_refunded', 'refund')).toBe(true);
    expect(canTransition('captured', 'refunded', 'provider')).toBe(false);
    expect(canTransition('captured', 'voided', 'void')).toBe(false);
    expect(canTransition('partially_refunded', 'refunded', 'refund')).toBe(true);
  });

  it('voids only from authorized, requires_action or pending', () => {
    const voidable = PaymentStatus.options.filter((from) => canTransition(from, 'voided', 'void'));
    expect(voidable.sort()).toEqual(['authorized', 'pending', 'requires_action']);
    for (const from of PaymentStatus.options) for (const c of ['provider', 'capture', 'refund'] as const) expect(canTransition(from, 'voided', c)).toBe(false);
  });

  it('captures only an authorized payment by command', () => {
    expect(PaymentStatus.options.filter((from) => canTransition(from, 'captured', 'capture'))).toEqual(['authorized']);
  });

  it('refuses a forbidden transition with INVALID_TRANSITION naming both states', () => {
    expect(() => assertTransition('failed', 'captured', 'capture')).toThrow(expect.objectContaining({ code: 'INVALID_TRANSITION', details: { from: 'failed', to: 'captured', cause: 'capture' } }));
    expect(() => assertTransition('authorized', 'captured', 'capture')).not.toThrow();
  });

  it('lists every status in the table', () => {
    expect(Object.keys(transitions).sort()).toEqual([...PaymentStatus.options].sort());
  });
});

describe('refund amounts', () => {
  it('defaults to the remaining captured amount and never exceeds it', () => {
    expect(refundAmount(1000, 0, undefined)).toEqual({ ok: true, amount: 1000 });
    expect(refundAmount(1000, 400, undefined)).toEqual({ ok: true, amount: 600 });
    expect(refundAmount(1000, 400, 600)).toEqual({ ok: true, amount: 600 });
    expect(refundAmount(1000, 400, 601)).toEqual({ ok: false, remaining: 600 });
    expect(refundAmount(1000, 1000, undefined)).toEqual({ ok: false, remaining: 0 });
    expect(refundAmount(0, 0, 1)).toEqual({ ok: false, remaining: 0 });
  });
  it('is refunded once everything captured is refunded', () => {
    expect(statusAfterRefund(1000, 999)).toBe('partially_refunded');
    expect(statusAfterRefund(1000, 1000)).toBe('refunded');
  });
});

describe('card data guard', () => {
  it('checks Luhn', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
  });

  it('finds card numbers spaced, dashed or plain, 13 to 19 digits', () => {
    expect(containsCardNumber('pay with 4242 4242 4242 4242 please')).toBe(true);
    expect(containsCardNumber('5555-5555-5555-4444')).toBe(true);
    expect(containsCardNumber('378282246310005')).toBe(true);
    expect(containsCardNumber('4222222222222')).toBe(true);
    expect(containsCardNumber('4242 4242 4242 4241')).toBe(false);
    expect(containsCardNumber('order 12345 of 2026-11-29')).toBe(false);
    expect(containsCardNumber('42424242424242424242424')).toBe(false);
  });

  it('names the field, by name or by value, anywhere in the request', () => {
    expect(findCardData({ description: 'card 4242424242424242' })).toBe('description');
    expect(findCardData({ a: { b: [{ c: 4242424242424242 }] } })).toBe('a.b.0.c');
    expect(findCardData({ card_number: 'x' })).toBe('card_number');
    expect(findCardData({ payment: { cvc: '123' } })).toBe('payment.cvc');
    expect(findCardData({ exp_month: 12 })).toBe('exp_month');
    expect(findCardData({ number: '1' })).toBe('number');
  });

  it('never mistakes ids, alone or inside keys, for card numbers', () => {
    // Digit-only UUID groups joined by dashes form long Luhn-valid runs in a fraction of random ids.
    const risky = 'abcdef23-3456-4789-8123-4567abcdefab';
    expect(containsCardNumber('23-3456-4789-8123-4567')).toBe(true);
    expect(containsCardNumber(risky)).toBe(false);
    for (let i = 0; i < 2000; i++) {
      const id = crypto.randomUUID();
      expect(findCardData({ idempotency_key: `bench-${id}`, order_id: id, cart_id: id.replace(/-/g, ''), note: `order:${risky}` })).toBeNull();
    }
  });

  it('lets ordinary payment requests through', () => {
    expect(
      findCardData({
        order_id: '12345678-1234-4234-8234-123456789012',
        cart_id: '12345678901234567890123456789012',
        amount: 3858,
        currency: 'USD',
        idempotency_key: 'order:12345678-1234-4234-8234-123456789012',
        payment_method_id: 'pm_card_visa',
        customer: 'user_42',
      }),
    ).toBeNull();
  });
});

describe('Stripe mapping', () => {
  it('maps intent statuses to ours', () => {
    expect(statusFromIntent({ status: 'requires_payment_method', last_payment_error: { code: 'card_declined' } })).toBe('failed');
    expect(statusFromIntent({ status: 'requires_payment_method' })).toBe('pending');
    expect(statusFromIntent({ status: 'requires_action' })).toBe('requires_action');
    expect(statusFromIntent({ status: 'requires_capture' })).toBe('authorized');
    expect(statusFromIntent({ status: 'succeeded' })).toBe('captured');
    expect(statusFromIntent({ status: 'canceled' })).toBe('canceled');
    expect(statusFromIntent({ status: 'processing' })).toBe('pending');
  });

  it('uses a specific decline code, else the error code', () => {
    expect(failureCode({ code: 'card_declined', decline_code: 'insufficient_funds' })).toBe('insufficient_funds');
    expect(failureCode({ code: 'card_declined', decline_code: 'generic_decline' })).toBe('card_declined');
  });

  it('reads checkout and payment events, and ignores the rest', () => {
    const link = { id: 'cs_demo_' + 'a'.repeat(32), cart_id: 'b'.repeat(32), customer: 'u1', amount: 3858, currency: 'USD' };
    expect(interpretStripeEvent(demoCheckoutCompletedEvent(link, 1))).toEqual({
      id: `evt_demo_${link.id}_completed`,
      kind: 'checkout_completed',
      checkoutId: link.id,
      providerPaymentRef: 'pi_demo_' + 'a'.repeat(32),
      amount: 3858,
    });
    const payment = { id: '12345678-1234-4234-8234-123456789012', provider_ref: 'pi_x', amount: 500, currency: 'USD', capture: true, payment_method_id: 'pm_card_visa' };
    const approved = interpretStripeEvent(demoAuthenticationEvent(payment, true, 1));
    expect(approved).toMatchObject({ kind: 'payment_updated', providerRef: 'pi_x', payment: { status: 'captured', amountCaptured: 500 } });
    const declined = interpretStripeEvent(demoAuthenticationEvent(payment, false, 1));
    expect(declined).toMatchObject({ kind: 'payment_updated', payment: { status: 'failed', failureCode: 'payment_intent_authentication_failure' } });
    expect(interpretStripeEvent({ id: 'evt_1', type: 'customer.created', data: { object: {} } })).toEqual({ id: 'evt_1', kind: 'ignored', type: 'customer.created' });
    expect(interpretStripeEvent('nonsense')).toMatchObject({ kind: 'ignored' });
  });
});

describe('demo methods and checkout lines', () => {
  it('mirrors Stripe test PaymentMethods', () => {
    expect(demoMethods.map((m) => [m.id, m.last4])).toEqual([
      ['pm_card_visa', '4242'],
      ['pm_card_mastercard', '4444'],
      ['pm_card_chargeDeclined', '0002'],
      ['pm_card_chargeDeclinedInsufficientFunds', '9995'],
      ['pm_card_authenticationRequired', '3184'],
    ]);
    expect(findDemoMethod('pm_card_nope')).toBeUndefined();
  });

  it('keeps lines that add up, else charges the exact total on one line', () => {
    const lines = [{ name: 'Sock', quantity: 3, unitAmount: 999 }];
    expect(checkoutLineItems(2997, lines)).toEqual(lines);
    expect(checkoutLineItems(3858, lines)).toEqual([{ name: 'Order total (3 items, incl. shipping and tax)', quantity: 1, unitAmount: 3858 }]);
  });
});

describe('saved methods', () => {
  it("lists the account's saved methods first (its default as stored), then the test cards not saved, test cards keeping their labels", () => {
    const offered = testCardMethods();
    expect(offered.every((m) => m.saved === false && m.label.startsWith('Test card: '))).toBe(true);
    expect(mergeMethods([], offered)).toEqual(offered);
    const merged = mergeMethods(
      [
        { id: 'pm_1Elsewhere', brand: 'amex', last4: '0005', isDefault: true },
        { id: 'pm_card_authenticationRequired', brand: 'visa', last4: '3184', isDefault: false },
      ],
      offered,
    );
    expect(merged.map((m) => [m.id, m.saved, m.is_default, m.label])).toEqual([
      ['pm_1Elsewhere', true, true, 'Amex ending in 0005'],
      ['pm_card_authenticationRequired', true, false, 'Test card: Visa ending in 3184 (asks for authentication)'],
      ['pm_card_visa', false, false, 'Test card: Visa ending in 4242'],
      ['pm_card_mastercard', false, false, 'Test card: Mastercard ending in 4444'],
      ['pm_card_chargeDeclined', false, false, 'Test card: Visa ending in 0002 (always declined)'],
      ['pm_card_chargeDeclinedInsufficientFunds', false, false, 'Test card: Visa ending in 9995 (insufficient funds)'],
    ]);
    // Stripe live mode offers no test cards: only the account's own.
    expect(mergeMethods([{ id: 'pm_1Live', brand: 'visa', last4: '1881', isDefault: true }], [])).toEqual([
      { id: 'pm_1Live', brand: 'visa', last4: '1881', label: 'Visa ending in 1881', is_default: true, saved: true },
    ]);
    expect(methodLabel('', '1234')).toBe('Card ending in 1234');
  });
});


describe('setup sessions', () => {
  const completed = (object: Record<string, unknown>, type = 'checkout.session.completed') => ({ id: 'evt_1', type, data: { object: { id: 'cs_1', ...object } } });
  it('reads a completed setup-mode session as a setup of its customer, never as a paid checkout', () => {
    expect(interpretStripeEvent(completed({ mode: 'setup', customer: 'cus_1', setup_intent: 'seti_1' }))).toEqual({
      id: 'evt_1',
      kind: 'setup_completed',
      checkoutId: 'cs_1',
      setupIntentRef: 'seti_1',
      providerCustomer: 'cus_1',
    });
    expect(interpretStripeEvent(completed({ mode: 'setup', customer: { id: 'cus_2' }, setup_intent: { id: 'seti_2' } }))).toMatchObject({ kind: 'setup_completed', providerCustomer: 'cus_2', setupIntentRef: 'seti_2' });
    expect(interpretStripeEvent(completed({ mode: 'setup', customer: 'cus_1' }))).toMatchObject({ kind: 'ignored' });
    expect(interpretStripeEvent(completed({ mode: 'setup', customer: 'cus_1', setup_intent: 'seti_1' }, 'checkout.session.async_payment_succeeded'))).toMatchObject({ kind: 'ignored' });
  });
});
