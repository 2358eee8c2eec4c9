import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import Stripe from 'stripe';
import { paymentEvents, paymentsApi } from '@shop/contracts';
import { bootPayments, eventually, outboxEvents, type Stack } from './helpers.js';

const secret = 'whsec_test_' + randomUUID().replace(/-/g, '');
const stripe = new Stripe('sk_test_unused');

function signed(payload: string, opts: { secret?: string; timestamp?: number } = {}) {
  return stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? secret, timestamp: opts.timestamp });
}

describe('Stripe webhooks', () => {
  let stack: Stack;
  let linkId: string;
  const cartId = randomUUID().replace(/-/g, '');
  beforeAll(async () => {
    stack = await bootPayments('payments_webhooks', { STRIPE_WEBHOOK_SECRET: secret, WEBHOOK_SWEEP_MS: '600000' });
    const link = await stack.svc.runtime.bus.call(paymentsApi.createCheckoutLink, {
      cart_id: cartId,
      customer: 'user_7',
      amount: 2500,
      currency: 'USD',
      line_items: [{ name: 'Mug', quantity: 1, unit_amount: 2500 }],
      idempotency_key: `link-${randomUUID()}`,
    });
    linkId = link.id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const completedEvent = (id: string) =>
    JSON.stringify({
      id,
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: linkId, object: 'checkout.session', amount_total: 2500, currency: 'usd', payment_status: 'paid', payment_intent: 'pi_3Test', client_reference_id: cartId } },
    });

  it('accepts a correctly signed event, verified by the SDK on the raw body', async () => {
    const body = completedEvent('evt_ok_1');
    // Sanity: the header the SDK generates verifies with the SDK's own constructEvent.
    expect(stripe.webhooks.constructEvent(body, signed(body), secret).id).toBe('evt_ok_1');
    const res = await request(stack.svc.httpUrl).post('/v1/webhooks/stripe').set('Stripe-Signature', signed(body)).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, duplicate: false });
    const events = await eventually(
      () => outboxEvents(stack, paymentEvents.checkoutCompleted),
      (e) => e.length > 0,
    );
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ checkout_id: linkId, cart_id: cartId, amount: 2500, provider_payment_ref: 'pi_3Test' });
  });

  it('processes a duplicate event id once', async () => {
    const body = completedEvent('evt_ok_1');
    const res = await request(stack.svc.httpUrl).post('/v1/webhooks/stripe').set('Stripe-Signature', signed(body)).set('Content-Type', 'application/json').send(body);
    expect(res.body).toEqual({ received: true, duplicate: true });
    // A different event for the same session is recorded but changes nothing: the link is already completed.
    const other = completedEvent('evt_ok_2');
    await request(stack.svc.httpUrl).post('/v1/webhooks/stripe').set('Stripe-Signature', signed(other)).set('Content-Type', 'application/json').send(other).expect(200);
    const { rows } = await eventually(
      () => stack.svc.runtime.pool.query('select count(*)::int as n from processed_webhook_events where processed_at is not null'),
      (r) => r.rows[0].n === 2,
    );
    expect(rows[0].n).toBe(2);
    expect(await outboxEvents(stack, paymentEvents.checkoutCompleted)).toHaveLength(1);
  });

  it('rejects a bad signature with 400 WEBHOOK_INVALID', async () => {
    const body = completedEvent('evt_bad_sig');
    const wrongSecret = await request(stack.svc.httpUrl).post('/v1/webhooks/stripe').set('Stripe-Signature', signed(body, { secret: 'whsec_other' })).set('Content-Type', 'application/json').send(body);
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body.error.code).toBe('WEBHOOK_INVALID');
    const tampered = await request(stack.svc.httpUrl).post('/v1/webhooks/stripe').set('Stripe-Signature', signed(body)).set('Content-Type', 'application/json').send(body.replace('2500', '1'));
    expect(tampered.status).toBe(400);
    const missing = await request(stack.svc.httpUrl).post('/v1/webhooks/stripe').set('Content-Type', 'application/json').send(body);
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('WEBHOOK_INVALID');
  });

  it('rejects a stale timestamp with 400', async () => {
    const body = completedEvent('evt_stale');
    const res = await request(stack.svc.httpUrl)
      .post('/v1/webhooks/stripe')
      .set('Stripe-Signature', signed(body, { timestamp: Math.floor(Date.now() / 1000) - 3600 }))
      .set('Content-Type', 'application/json')
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('WEBHOOK_INVALID');
    const { rows } = await stack.svc.runtime.pool.query("select count(*)::int as n from processed_webhook_events where event_id in ('evt_stale', 'evt_bad_sig')");
    expect(rows[0].n).toBe(0);
  });

  it('retries an event recorded but not processed (as after a crash)', async () => {
    const payment = await stack.svc.runtime.bus.call(paymentsApi.authorize, {
      order_id: randomUUID(),
      amount: 700,
      currency: 'USD',
      idempotency_key: `auth-${randomUUID()}`,
      payment_method_id: 'pm_card_authenticationRequired',
      customer: 'user_7',
      capture: false,
    });
    const event = {
      id: 'evt_recorded_only',
      type: 'payment_intent.amount_capturable_updated',
      data: { object: { id: payment.provider_ref, object: 'payment_intent', status: 'requires_capture', amount: 700 } },
    };
    await stack.svc.runtime.pool.query("insert into processed_webhook_events (event_id, provider, type, payload, received_at) values ($1, 'demo', $2, $3, now() - interval '1 minute')", [
      event.id,
      event.type,
      JSON.stringify(event),
    ]);
    expect(await stack.svc.app.webhooks.retryUnprocessed(1_000)).toBe(1);
    expect(await stack.svc.runtime.bus.call(paymentsApi.get, { payment_id: payment.id })).toMatchObject({ status: 'authorized' });
    expect(await stack.svc.app.webhooks.retryUnprocessed(1_000)).toBe(0);
  });
});
