import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import Stripe from 'stripe';
import { CheckoutCompletedEventData, paymentEvents, paymentsApi, PaymentEventData } from '@shop/contracts';
import { bootPayments, eventually, outboxEvents, press, type Stack } from './helpers.js';

const secret = 'whsec_test_' + randomUUID().replace(/-/g, '');
const stripe = new Stripe('sk_test_unused');

describe('checkout links that pay an order', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await bootPayments('payments_link_orders', { STRIPE_WEBHOOK_SECRET: secret, WEBHOOK_SWEEP_MS: '600000' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const linkFor = (orderId: string, key = `order:${orderId}:link`) =>
    stack.svc.runtime.bus.call(paymentsApi.createCheckoutLink, {
      cart_id: orderId.replace(/-/g, ''),
      customer: 'user_5',
      amount: 3858,
      currency: 'USD',
      line_items: [{ name: 'Trail Sock', quantity: 3, unit_amount: 999 }],
      idempotency_key: key,
      order_id: orderId,
      expires_in_minutes: 45,
    });
  const eventsFor = async (subject: string, orderId: string) => (await outboxEvents(stack, subject)).filter((e) => e.data.order_id === orderId);
  const webhook = (event: object) => {
    const body = JSON.stringify(event);
    return request(stack.svc.httpUrl)
      .post('/v1/webhooks/stripe')
      .set('Stripe-Signature', stripe.webhooks.generateTestHeaderString({ payload: body, secret }))
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(200);
  };
  const bus = () => stack.svc.runtime.bus;

  it('records the pending payment with the link, captures it when the link is paid (once), and refunds it', async () => {
    const orderId = randomUUID();
    const created = Date.now();
    const link = await linkFor(orderId);
    expect(new Date(link.expires_at).getTime()).toBeGreaterThanOrEqual(created + 45 * 60_000);
    expect(new Date(link.expires_at).getTime()).toBeLessThan(created + 46 * 60_000);
    const pending = await bus().call(paymentsApi.getByOrder, { order_id: orderId });
    expect(pending).toMatchObject({ id: link.payment_id, status: 'pending', amount: 3858, provider_ref: link.id, amount_captured: 0 });

    // The same key answers with the same link; the same key for another order is a conflict.
    expect(await linkFor(orderId)).toMatchObject({ id: link.id, payment_id: link.payment_id });
    await expect(linkFor(randomUUID(), `order:${orderId}:link`)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((await bus().call(paymentsApi.getByOrder, { order_id: orderId })).id).toBe(pending.id);

    expect((await press(stack, 'checkout', link.id, 'approve')).status).toBe(200);
    expect((await press(stack, 'checkout', link.id, 'approve')).status).toBe(200);
    const captured = await bus().call(paymentsApi.getByOrder, { order_id: orderId });
    expect(captured).toMatchObject({ id: pending.id, status: 'captured', amount_captured: 3858, provider_ref: expect.stringMatching(/^pi_demo_/) });
    const capturedEvents = await eventsFor(paymentEvents.captured, orderId);
    expect(capturedEvents).toHaveLength(1);
    expect(PaymentEventData.parse(capturedEvents[0].data)).toMatchObject({ payment_id: pending.id, status: 'captured', amount_captured: 3858 });
    const completed = await eventsFor(paymentEvents.checkoutCompleted, orderId);
    expect(completed).toHaveLength(1);
    expect(CheckoutCompletedEventData.parse(completed[0].data)).toMatchObject({ checkout_id: link.id, order_id: orderId, payment_id: pending.id });

    const refund = await bus().call(paymentsApi.refund, { payment_id: pending.id, idempotency_key: `order:${orderId}:refund` });
    expect(refund).toMatchObject({ amount: 3858, status: 'succeeded' });
    expect(await bus().call(paymentsApi.get, { payment_id: pending.id })).toMatchObject({ status: 'refunded', amount_refunded: 3858 });
  });

  it('cancelled on its page: the payment is canceled and evt.payment.canceled says why', async () => {
    const orderId = randomUUID();
    const link = await linkFor(orderId);
    expect((await press(stack, 'checkout', link.id, 'cancel')).status).toBe(200);
    expect(await bus().call(paymentsApi.getByOrder, { order_id: orderId })).toMatchObject({ status: 'canceled', failure_code: 'checkout_canceled' });
    const events = await eventsFor(paymentEvents.canceled, orderId);
    expect(events.map((e) => e.data)).toEqual([expect.objectContaining({ payment_id: link.payment_id, status: 'canceled', failure_code: 'checkout_canceled' })]);
    expect((await press(stack, 'checkout', link.id, 'approve')).status).toBe(409);
    expect(await eventsFor(paymentEvents.captured, orderId)).toHaveLength(0);
  });

  it('voiding the payment closes its link, so it can no longer be paid', async () => {
    const orderId = randomUUID();
    const link = await linkFor(orderId);
    expect(await bus().call(paymentsApi.void, { payment_id: link.payment_id! })).toMatchObject({ status: 'voided' });
    expect(await bus().call(paymentsApi.void, { payment_id: link.payment_id! })).toMatchObject({ status: 'voided' });
    expect(await linkFor(orderId)).toMatchObject({ status: 'canceled' });
    expect((await press(stack, 'checkout', link.id, 'approve')).status).toBe(409);
    expect(await eventsFor(paymentEvents.voided, orderId)).toHaveLength(1);
  });

  it('Stripe webhooks: an expired session cancels the payment; a completed one captures it under the PaymentIntent', async () => {
    const expiring = randomUUID();
    const expiringLink = await linkFor(expiring);
    const session = (id: string, extra: object = {}) => ({ id, object: 'checkout.session', amount_total: 3858, currency: 'usd', ...extra });
    await webhook({ id: `evt_${randomUUID()}`, object: 'event', type: 'checkout.session.expired', data: { object: session(expiringLink.id, { status: 'expired' }) } });
    const expired = await eventually(
      () => bus().call(paymentsApi.getByOrder, { order_id: expiring }),
      (p) => p.status === 'canceled',
    );
    expect(expired).toMatchObject({ status: 'canceled', failure_code: 'checkout_expired', failure_message: 'The checkout link expired before it was paid.' });
    expect(await eventsFor(paymentEvents.canceled, expiring)).toHaveLength(1);

    const paid = randomUUID();
    const paidLink = await linkFor(paid);
    const intent = `pi_${randomUUID().replace(/-/g, '')}`;
    await webhook({ id: `evt_${randomUUID()}`, object: 'event', type: 'checkout.session.completed', data: { object: session(paidLink.id, { payment_status: 'paid', payment_intent: intent }) } });
    const captured = await eventually(
      () => bus().call(paymentsApi.getByOrder, { order_id: paid }),
      (p) => p.status === 'captured',
    );
    expect(captured).toMatchObject({ id: paidLink.payment_id, status: 'captured', provider_ref: intent, amount_captured: 3858 });
    expect(await eventsFor(paymentEvents.captured, paid)).toHaveLength(1);
  });
});
