import { describe, expect, it } from 'vitest';
import type { Payment, PaymentEventData } from '@shop/contracts';
import { verifiedPayment } from '../src/bus/payment-events.js';

const orderId = '00000000-0000-4000-8000-0000000000aa';
const paymentId = '00000000-0000-4000-8000-0000000000bb';
const order = { id: orderId, total: 5000 };
const claim: PaymentEventData = { payment_id: paymentId, order_id: orderId, status: 'captured', amount: 5000, currency: 'USD', amount_captured: 5000, amount_refunded: 0, failure_code: null, failure_message: null };
const payment = (over: Partial<Payment> = {}): Payment => ({
  id: paymentId,
  order_id: orderId,
  provider: 'demo',
  provider_ref: 'pi_x',
  amount: 5000,
  currency: 'USD',
  status: 'captured',
  amount_captured: 5000,
  amount_refunded: 0,
  payment_method: { id: null, brand: null, last4: null },
  failure_code: null,
  failure_message: null,
  next_action_url: null,
  created_at: '2026-03-01T00:00:00.000Z',
  updated_at: '2026-03-01T00:00:00.000Z',
  ...over,
});

describe('a payment event is believed only when payments confirms it', () => {
  it('captured: this payment, of this order, captured, for the order total', () => {
    expect(verifiedPayment('captured', claim, payment(), order)).not.toBeNull();
    expect(verifiedPayment('captured', claim, payment({ status: 'pending', amount_captured: 0 }), order)).toBeNull();
    expect(verifiedPayment('captured', claim, payment({ amount: 4999, amount_captured: 4999 }), order)).toBeNull();
    expect(verifiedPayment('captured', claim, payment({ order_id: '00000000-0000-4000-8000-0000000000cc' }), order)).toBeNull();
    expect(verifiedPayment('captured', { ...claim, order_id: '00000000-0000-4000-8000-0000000000cc' }, payment(), order)).toBeNull();
    expect(verifiedPayment('captured', claim, null, order)).toBeNull();
  });

  it('canceled and refunded: the state payments reports, not the one the event names', () => {
    expect(verifiedPayment('canceled', claim, payment({ status: 'canceled' }), order)).not.toBeNull();
    expect(verifiedPayment('canceled', claim, payment({ status: 'pending' }), order)).toBeNull();
    expect(verifiedPayment('refunded', claim, payment({ status: 'refunded', amount_refunded: 5000 }), order)).not.toBeNull();
    expect(verifiedPayment('refunded', claim, payment({ status: 'partially_refunded', amount_refunded: 100 }), order)).not.toBeNull();
    expect(verifiedPayment('refunded', claim, payment(), order)).toBeNull();
  });
});
