import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { paymentsApi, type AppError } from '@shop/contracts';
import { bootPayments, eventually, type Stack } from './helpers.js';

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  form: URLSearchParams;
}
type Reply = { status: number; body: unknown; headers?: Record<string, string> };

/** A local stand-in for api.stripe.com: records what the real SDK sends and answers from a script. */
class FakeStripeApi {
  readonly seen: Seen[] = [];
  private readonly script: Array<(req: Seen) => Reply> = [];
  readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const seen = { method: req.method!, path: req.url!, headers: req.headers, form: new URLSearchParams(body) };
      this.seen.push(seen);
      const next = this.script.shift();
      const reply = next ? next(seen) : { status: 500, body: { error: { type: 'api_error', message: 'no scripted reply' } } };
      res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': `req_${this.seen.length}`, ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  reply(...replies: Array<Reply | ((req: Seen) => Reply)>) {
    for (const r of replies) this.script.push(typeof r === 'function' ? r : () => r);
  }
  reset() {
    this.seen.length = 0;
    this.script.length = 0;
  }
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }
}

const intent = (form: URLSearchParams, status: string, extra: Record<string, unknown> = {}) => ({
  status: 200,
  body: {
    id: 'pi_3Abc',
    object: 'payment_intent',
    amount: Number(form.get('amount')),
    amount_received: status === 'succeeded' ? Number(form.get('amount')) : 0,
    currency: form.get('currency'),
    status,
    metadata: { order_id: form.get('metadata[order_id]') },
    payment_method: { id: form.get('payment_method'), object: 'payment_method', type: 'card', card: { brand: 'visa', last4: '4242' } },
    ...extra,
  },
});

const webhookSecret = `whsec_test_${randomUUID().replace(/-/g, '')}`;
const signer = new Stripe('sk_test_unused');

describe('Stripe provider through the real SDK', () => {
  const api = new FakeStripeApi();
  let stack: Stack;
  beforeAll(async () => {
    const port = await api.listen();
    stack = await bootPayments('payments_stripe', {
      PAYMENTS_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_local',
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(port),
      STRIPE_API_PROTOCOL: 'http',
      STRIPE_MAX_NETWORK_RETRIES: '2',
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      CHECKOUT_SUCCESS_URL: 'http://127.0.0.1:9/success',
      CHECKOUT_CANCEL_URL: 'http://127.0.0.1:9/cancel',
    });
  });
  afterAll(async () => {
    await stack?.close();
    api.server.close();
  });
  beforeEach(() => api.reset());

  const authorize = (over: Record<string, unknown> = {}) =>
    stack.svc.runtime.bus.call(
      paymentsApi.authorize,
      { order_id: randomUUID(), amount: 3858, currency: 'USD', idempotency_key: `ord-${randomUUID()}`, payment_method_id: 'pm_card_visa', customer: 'cus_Q1w2e3', ...over },
      { timeoutMs: 15_000 },
    );

  it('creates a confirmed PaymentIntent in cents with metadata, method and the idempotency key (a test card: no customer)', async () => {
    api.reply((req) => intent(req.form, 'succeeded'));
    const order_id = randomUUID();
    const idempotency_key = `ord-${randomUUID()}`;
    const payment = await authorize({ order_id, idempotency_key });
    expect(api.seen).toHaveLength(1);
    const [req] = api.seen;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/payment_intents');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers['idempotency-key']).toBe(idempotency_key);
    expect(req.headers.authorization).toBe('Bearer sk_test_local');
    expect(req.form.get('amount')).toBe('3858');
    expect(req.form.get('currency')).toBe('usd');
    expect(req.form.get('metadata[order_id]')).toBe(order_id);
    expect(req.form.get('payment_method')).toBe('pm_card_visa');
    expect(req.form.get('confirm')).toBe('true');
    expect(req.form.get('capture_method')).toBe('automatic');
    // The customer orders names is no Stripe customer, whatever it looks like: only an account's own one is.
    expect(req.form.get('customer')).toBeNull();
    expect(req.form.get('setup_future_usage')).toBeNull();
    expect(payment).toMatchObject({ provider: 'stripe', provider_ref: 'pi_3Abc', status: 'captured', amount_captured: 3858, payment_method: { id: 'pm_card_visa', brand: 'visa', last4: '4242' } });
  });

  it('authorises with manual capture and captures later with its own idempotency key', async () => {
    api.reply((req) => intent(req.form, 'requires_capture', { id: 'pi_manual' }));
    const payment = await authorize({ capture: false });
    expect(api.seen[0].form.get('capture_method')).toBe('manual');
    expect(payment).toMatchObject({ status: 'authorized', provider_ref: 'pi_manual' });
    api.reply({ status: 200, body: { id: 'pi_manual', object: 'payment_intent', status: 'succeeded', amount: 3858, amount_received: 3858, payment_method: 'pm_card_visa' } });
    const captured = await stack.svc.runtime.bus.call(paymentsApi.capture, { payment_id: payment.id }, { timeoutMs: 15_000 });
    expect(api.seen[1].path).toBe('/v1/payment_intents/pi_manual/capture');
    expect(api.seen[1].headers['idempotency-key']).toBe(`capture:${payment.id}`);
    expect(captured).toMatchObject({ status: 'captured', amount_captured: 3858, payment_method: { brand: 'visa', last4: '4242' } });
  });

  it('records a 402 card_declined as a failed payment with code card_declined', async () => {
    api.reply({
      status: 402,
      body: {
        error: {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'generic_decline',
          message: 'Your card was declined.',
          payment_intent: { id: 'pi_declined', object: 'payment_intent', status: 'requires_payment_method', last_payment_error: { code: 'card_declined', decline_code: 'generic_decline' } },
        },
      },
    });
    const payment = await authorize({ payment_method_id: 'pm_card_chargeDeclined' });
    expect(api.seen).toHaveLength(1);
    expect(payment).toMatchObject({ status: 'failed', failure_code: 'card_declined', failure_message: 'Your card was declined.', provider_ref: 'pi_declined' });
  });

  it('uses a specific decline code such as insufficient_funds', async () => {
    api.reply({ status: 402, body: { error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' } } });
    expect(await authorize({ payment_method_id: 'pm_card_chargeDeclinedInsufficientFunds' })).toMatchObject({ status: 'failed', failure_code: 'insufficient_funds', provider_ref: null });
  });

  it('maps an idempotency error (400 or 409) to IDEMPOTENCY_CONFLICT and leaves no payment behind', async () => {
    const idem = { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' };
    api.reply({ status: 400, body: { error: idem } });
    const order_id = randomUUID();
    const err = await authorize({ order_id }).catch((e: AppError) => e);
    expect(err).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    // 409 is retryable for the SDK unless Stripe says otherwise; Stripe says so for a key conflict.
    api.reply({ status: 409, body: { error: idem }, headers: { 'stripe-should-retry': 'false' } });
    expect(await authorize().catch((e: AppError) => e)).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    const { rows } = await stack.svc.runtime.pool.query('select count(*)::int as n from payments where order_id = $1', [order_id]);
    expect(rows[0].n).toBe(0);
  });

  it('survives a 500: the SDK retries with the same idempotency key and succeeds', async () => {
    api.reply({ status: 500, body: { error: { type: 'api_error', message: 'Something went wrong' } } }, (req) => intent(req.form, 'succeeded', { id: 'pi_retry' }));
    const idempotency_key = `ord-${randomUUID()}`;
    const payment = await authorize({ idempotency_key });
    expect(api.seen).toHaveLength(2);
    expect(api.seen.map((s) => s.headers['idempotency-key'])).toEqual([idempotency_key, idempotency_key]);
    expect(api.seen[1].form.toString()).toBe(api.seen[0].form.toString());
    expect(payment).toMatchObject({ status: 'captured', provider_ref: 'pi_retry' });
  });

  it('reports UNAVAILABLE when the API keeps failing, and a later retry with the same key succeeds', async () => {
    const boom = { status: 500, body: { error: { type: 'api_error', message: 'down' } } };
    api.reply(boom, boom, boom);
    const idempotency_key = `ord-${randomUUID()}`;
    const order_id = randomUUID();
    expect(await authorize({ idempotency_key, order_id }).catch((e: AppError) => e)).toMatchObject({ code: 'UNAVAILABLE' });
    expect(api.seen).toHaveLength(3);
    api.reply((req) => intent(req.form, 'succeeded', { id: 'pi_later' }));
    expect(await authorize({ idempotency_key, order_id })).toMatchObject({ status: 'captured', provider_ref: 'pi_later' });
    expect(api.seen[3].headers['idempotency-key']).toBe(idempotency_key);
  });

  it('maps requires_action to requires_action with the redirect URL', async () => {
    api.reply((req) =>
      intent(req.form, 'requires_action', { id: 'pi_3ds', next_action: { type: 'redirect_to_url', redirect_to_url: { url: 'https://hooks.stripe.com/3d_secure/abc' } } }),
    );
    const payment = await authorize({ payment_method_id: 'pm_card_authenticationRequired' });
    expect(api.seen[0].form.get('return_url')).toBe(`${stack.svc.httpUrl}/v1/return`);
    expect(payment).toMatchObject({ status: 'requires_action', next_action_url: 'https://hooks.stripe.com/3d_secure/abc' });
  });

  it('refunds with an idempotency key', async () => {
    api.reply((req) => intent(req.form, 'succeeded', { id: 'pi_refundable' }));
    const payment = await authorize({ amount: 1000 });
    api.reply({ status: 200, body: { id: 're_1', object: 'refund', amount: 400, status: 'succeeded', payment_intent: 'pi_refundable' } });
    const refund = await stack.svc.runtime.bus.call(paymentsApi.refund, { payment_id: payment.id, amount: 400, idempotency_key: 'refund-key-1' }, { timeoutMs: 15_000 });
    const req = api.seen[1];
    expect(req.path).toBe('/v1/refunds');
    expect(req.headers['idempotency-key']).toBe('refund-key-1');
    expect(req.form.get('payment_intent')).toBe('pi_refundable');
    expect(req.form.get('amount')).toBe('400');
    expect(refund).toMatchObject({ amount: 400, status: 'succeeded' });
  });

  it('creates a Checkout Session in cents with the configured URLs', async () => {
    api.reply((req) => ({
      status: 200,
      body: { id: 'cs_test_1', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_1', expires_at: Number(req.form.get('expires_at')) },
    }));
    const cart_id = randomUUID().replace(/-/g, '');
    const link = await stack.svc.runtime.bus.call(
      paymentsApi.createCheckoutLink,
      { cart_id, customer: 'user_1', amount: 2997, currency: 'USD', line_items: [{ name: 'Sock', quantity: 3, unit_amount: 999 }], idempotency_key: `cs-${randomUUID()}` },
      { timeoutMs: 15_000 },
    );
    const req = api.seen[0];
    expect(req.path).toBe('/v1/checkout/sessions');
    expect(req.headers['idempotency-key']).toMatch(/^cs-/);
    expect(req.form.get('mode')).toBe('payment');
    expect(req.form.get('line_items[0][price_data][unit_amount]')).toBe('999');
    expect(req.form.get('line_items[0][price_data][currency]')).toBe('usd');
    expect(req.form.get('line_items[0][quantity]')).toBe('3');
    expect(req.form.get('line_items[0][price_data][product_data][name]')).toBe('Sock');
    expect(req.form.get('success_url')).toBe('http://127.0.0.1:9/success');
    expect(req.form.get('cancel_url')).toBe('http://127.0.0.1:9/cancel');
    expect(req.form.get('client_reference_id')).toBe(cart_id);
    expect(link).toMatchObject({ id: 'cs_test_1', url: 'https://checkout.stripe.com/c/pay/cs_test_1', status: 'open' });
  });

  // One account's own card, step by step: the steps run in order and share the state below.
  // The outer beforeEach resets the fake API before every step, so each step's api.seen holds only its own requests.
  describe("an account's own card: its Stripe customer made once, Checkout in setup mode, the webhook saves the card, only that account can charge or remove it", () => {
    const alice = randomUUID();
    const bob = randomUUID();
    const returnUrl = 'http://127.0.0.1:4105/account';
    const bus = () => stack.svc.runtime.bus;
    const own = async (account: string) => (await bus().call(paymentsApi.listMethods, { account }, { timeoutMs: 15_000 })).methods.filter((m) => m.saved);
    const event = (id: string, customerId: string) =>
      JSON.stringify({ id, object: 'event', type: 'checkout.session.completed', data: { object: { id: 'cs_test_setup1', object: 'checkout.session', mode: 'setup', status: 'complete', customer: customerId, setup_intent: 'seti_1' } } });
    const postWebhook = (body: string) =>
      fetch(`${stack.svc.httpUrl}/v1/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signer.webhooks.generateTestHeaderString({ payload: body, secret: webhookSecret }) }, body });

    it("a setup link makes the account's Stripe customer (keyed by the account) and a Checkout Session in setup mode for that customer", async () => {
      api.reply(
        { status: 200, body: { id: 'cus_Alice1', object: 'customer' } },
        { status: 200, body: { id: 'cs_test_setup1', object: 'checkout.session', mode: 'setup', url: 'https://checkout.stripe.com/c/pay/cs_test_setup1', expires_at: Math.floor(Date.now() / 1000) + 1800 } },
      );
      const link = await bus().call(paymentsApi.createSetupLink, { account: alice, return_url: returnUrl }, { timeoutMs: 15_000 });
      expect(link.url).toBe('https://checkout.stripe.com/c/pay/cs_test_setup1');
      const [customer, session] = api.seen;
      expect([customer.method, customer.path, customer.headers['idempotency-key']]).toEqual(['POST', '/v1/customers', `customer:${alice}`]);
      expect(Object.fromEntries(customer.form)).toEqual({ 'metadata[account_id]': alice });
      expect(session.path).toBe('/v1/checkout/sessions');
      expect(Object.fromEntries(session.form)).toMatchObject({
        mode: 'setup',
        currency: 'usd',
        'allowed_payment_method_types[0]': 'card',
        customer: 'cus_Alice1',
        success_url: returnUrl,
        cancel_url: returnUrl,
        'metadata[account_id]': alice,
        'setup_intent_data[metadata][account_id]': alice,
      });
    });

    it("the signed checkout.session.completed webhook for the setup: the SetupIntent's card is read from Stripe and saved as the account's default", async () => {
      // Stripe's checkout.session.completed for the setup: the service asks for the SetupIntent's card.
      api.reply((req) => ({
        status: 200,
        body: { id: req.path.split('?')[0].split('/').pop(), object: 'setup_intent', status: 'succeeded', payment_method: { id: 'pm_1AliceOwn', object: 'payment_method', type: 'card', card: { brand: 'visa', last4: '1881' } } },
      }));
      const res = await postWebhook(event(`evt_${randomUUID()}`, 'cus_Alice1'));
      expect(res.status).toBe(200);
      expect(await eventually(() => own(alice), (m) => m.length === 1)).toEqual([{ id: 'pm_1AliceOwn', brand: 'visa', last4: '1881', label: 'Visa ending in 1881', is_default: true, saved: true }]);
      // The first request of this step (the setup link's customer and session calls came before it).
      expect(api.seen[0].path).toMatch(/^\/v1\/setup_intents\/seti_1\?/);
    });

    it('the test cards are still offered to the account, as test cards', async () => {
      expect((await bus().call(paymentsApi.listMethods, { account: alice })).methods.filter((m) => !m.saved).every((m) => m.label.startsWith('Test card: '))).toBe(true);
    });

    it('a setup completed under a customer of no account saves nothing', async () => {
      api.reply(() => ({ status: 200, body: { id: 'seti_1', object: 'setup_intent', payment_method: { id: 'pm_1Stray', object: 'payment_method', card: { brand: 'visa', last4: '0005' } } } }));
      await postWebhook(event(`evt_${randomUUID()}`, 'cus_Nobody'));
      await eventually(async () => api.seen.length, (n) => n === 1);
      expect(await own(alice)).toHaveLength(1);
      expect(await own(bob)).toEqual([]);
    });

    it("another account, or a guest order, cannot charge the account's card: refused before Stripe is asked", async () => {
      for (const over of [{ account: bob }, {}]) {
        expect(await authorize({ payment_method_id: 'pm_1AliceOwn', customer: alice, ...over }).then(() => null, (e: AppError) => e.code)).toBe('PAYMENT_METHOD_NOT_FOUND');
      }
      expect(api.seen).toHaveLength(0);
    });

    it("the account's own order charges the card under its Stripe customer, made once (no second customers call)", async () => {
      api.reply((req) => intent(req.form, 'succeeded', { id: 'pi_alice' }));
      expect(await authorize({ payment_method_id: 'pm_1AliceOwn', customer: alice, account: alice })).toMatchObject({ status: 'captured', provider_ref: 'pi_alice' });
      expect(api.seen.map((r) => r.path)).toEqual(['/v1/payment_intents']);
      expect(api.seen[0].form.get('customer')).toBe('cus_Alice1');
      expect(api.seen[0].form.get('setup_future_usage')).toBeNull();
    });

    it('a test card the account asks to keep is attached to its customer for later and becomes its default', async () => {
      api.reply((req) => intent(req.form, 'succeeded', { id: 'pi_keep', payment_method: { id: 'pm_1Kept', object: 'payment_method', type: 'card', card: { brand: 'mastercard', last4: '4444' } } }));
      await authorize({ payment_method_id: 'pm_card_mastercard', customer: alice, account: alice, save_for_customer: alice });
      expect([api.seen[0].form.get('customer'), api.seen[0].form.get('setup_future_usage')]).toEqual(['cus_Alice1', 'off_session']);
      expect((await own(alice)).map((m) => [m.id, m.is_default])).toEqual([
        ['pm_1Kept', true],
        ['pm_1AliceOwn', false],
      ]);
    });

    it("another account cannot remove the account's card: refused before Stripe is asked", async () => {
      expect(await bus().call(paymentsApi.removeMethod, { account: bob, payment_method_id: 'pm_1AliceOwn' }).then(() => null, (e: AppError) => e.code)).toBe('PAYMENT_METHOD_NOT_FOUND');
      expect(api.seen).toHaveLength(0);
    });

    it('the account removes its card: detached from its Stripe customer, the kept card remains', async () => {
      api.reply({ status: 200, body: { id: 'pm_1AliceOwn', object: 'payment_method', customer: null } });
      const after = await bus().call(paymentsApi.removeMethod, { account: alice, payment_method_id: 'pm_1AliceOwn' }, { timeoutMs: 15_000 });
      expect(api.seen.map((r) => [r.method, r.path])).toEqual([['POST', '/v1/payment_methods/pm_1AliceOwn/detach']]);
      expect(after.methods.filter((m) => m.saved).map((m) => m.id)).toEqual(['pm_1Kept']);
    });
  });
});
