import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { AppError, paymentEvents, paymentsApi, PaymentEventData, CheckoutCompletedEventData } from '@shop/contracts';
import { httpBoundaryProblems, rawRequest, serviceHeaders } from '@shop/kit/testing';
import { bootPayments, countingProvider, outboxEvents, press, type Stack } from './helpers.js';

const key = () => `test-${randomUUID()}`;
const authorize = (stack: Stack, over: Record<string, unknown> = {}) =>
  stack.svc.runtime.bus.call(paymentsApi.authorize, {
    order_id: randomUUID(),
    amount: 3858,
    currency: 'USD',
    idempotency_key: key(),
    payment_method_id: 'pm_card_visa',
    customer: 'user_1',
    ...over,
  });
const refused = (p: Promise<unknown>) => p.then(() => null, (e: AppError) => e);

describe('payments service (demo provider)', () => {
  let stack: Stack;
  const calls: Record<string, number> = {};
  beforeAll(async () => {
    stack = await bootPayments('payments', {}, { wrapProvider: countingProvider(calls) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const testCardIds = ['pm_card_visa', 'pm_card_mastercard', 'pm_card_chargeDeclined', 'pm_card_chargeDeclinedInsufficientFunds', 'pm_card_authenticationRequired'];
  const list = async (account?: string) => (await stack.svc.runtime.bus.call(paymentsApi.listMethods, account ? { account } : {})).methods;
  const savedRows = async (account: string) =>
    (await stack.svc.runtime.pool.query('select payment_method_id, brand, last4, is_default from account_payment_methods where account_id = $1 order by created_at', [account])).rows;

  it('without an account lists only the test cards, labelled as test cards; the former `customer` shape names no account', async () => {
    const methods = await list();
    expect(methods.map((m) => m.id)).toEqual(testCardIds);
    expect(methods[0]).toEqual({ id: 'pm_card_visa', brand: 'visa', last4: '4242', label: 'Test card: Visa ending in 4242', is_default: true, saved: false });
    expect(methods.every((m) => m.saved === false && m.label.startsWith('Test card: '))).toBe(true);

    // An account with a saved card: a request that names it the old way (customer) sees nothing of it.
    const account = randomUUID();
    await stack.svc.app.methods.addTestCard(account, 'pm_card_mastercard');
    expect((await list(account))[0]).toMatchObject({ id: 'pm_card_mastercard', saved: true, is_default: true });
    const former = await stack.svc.runtime.bus.call(paymentsApi.listMethods, { customer: account });
    expect(former.methods).toEqual(methods);
  });

  it("saves the method of a successful charge for the order's account only: the newest the default, never twice", async () => {
    const { bus, pool } = stack.svc.runtime;
    const who = randomUUID();
    const saving = { customer: who, account: who, save_for_customer: who };

    const mc = await authorize(stack, { ...saving, payment_method_id: 'pm_card_mastercard' });
    expect(mc.status).toBe('captured');
    let methods = await list(who);
    expect(methods.map((m) => [m.id, m.saved, m.is_default])).toEqual([
      ['pm_card_mastercard', true, true],
      ['pm_card_visa', false, false],
      ['pm_card_chargeDeclined', false, false],
      ['pm_card_chargeDeclinedInsufficientFunds', false, false],
      ['pm_card_authenticationRequired', false, false],
    ]);
    expect(methods[0]).toEqual({ id: 'pm_card_mastercard', brand: 'mastercard', last4: '4444', label: 'Test card: Mastercard ending in 4444', is_default: true, saved: true });

    // The same method again (a new charge, and a replay of the first): still one saved row.
    await authorize(stack, { ...saving, payment_method_id: 'pm_card_mastercard' });
    const firstKey = (await pool.query('select idempotency_key from payments where id = $1', [mc.id])).rows[0].idempotency_key;
    await bus.call(paymentsApi.authorize, { order_id: mc.order_id, amount: 3858, currency: 'USD', idempotency_key: firstKey, payment_method_id: 'pm_card_mastercard', ...saving });
    expect(await savedRows(who)).toEqual([{ payment_method_id: 'pm_card_mastercard', brand: 'mastercard', last4: '4444', is_default: true }]);

    // An authorisation succeeds too; the newest saved method becomes the default.
    expect((await authorize(stack, { ...saving, payment_method_id: 'pm_card_visa', capture: false })).status).toBe('authorized');
    methods = await list(who);
    expect(methods.map((m) => [m.id, m.saved, m.is_default])).toEqual([
      ['pm_card_visa', true, true],
      ['pm_card_mastercard', true, false],
      ['pm_card_chargeDeclined', false, false],
      ['pm_card_chargeDeclinedInsufficientFunds', false, false],
      ['pm_card_authenticationRequired', false, false],
    ]);

    // A declined charge saves nothing.
    await authorize(stack, { ...saving, payment_method_id: 'pm_card_chargeDeclined' });
    expect((await savedRows(who)).map((r) => r.payment_method_id)).toEqual(['pm_card_mastercard', 'pm_card_visa']);

    // Saving is for the order's own account only: not for another named in save_for_customer, not
    // without an account, not for a subject that is no account id.
    const other = randomUUID();
    await authorize(stack, { customer: other, account: other, payment_method_id: 'pm_card_mastercard' });
    await authorize(stack, { customer: other, account: other, save_for_customer: who, payment_method_id: 'pm_card_chargeDeclinedInsufficientFunds' });
    await authorize(stack, { customer: other, save_for_customer: other, payment_method_id: 'pm_card_mastercard' });
    await authorize(stack, { customer: 'user-7', account: 'user-7', save_for_customer: 'user-7', payment_method_id: 'pm_card_mastercard' });
    expect(await savedRows(other)).toEqual([]);
    expect((await savedRows(who)).map((r) => r.payment_method_id)).toEqual(['pm_card_mastercard', 'pm_card_visa']);
    expect((await list(other))[0]).toMatchObject({ id: 'pm_card_visa', is_default: true, saved: false });
  });

  it('saves a method that needed authentication only once the shopper completes it', async () => {
    const who = randomUUID();
    const payment = await authorize(stack, { customer: who, account: who, save_for_customer: who, payment_method_id: 'pm_card_authenticationRequired' });
    expect(payment.status).toBe('requires_action');
    const saved = async () => (await list(who)).filter((m) => m.saved);
    expect(await saved()).toEqual([]);
    expect((await press(stack, 'authenticate', payment.id, 'approve')).status).toBe(200);
    expect(await saved()).toEqual([
      { id: 'pm_card_authenticationRequired', brand: 'visa', last4: '3184', label: 'Test card: Visa ending in 3184 (asks for authentication)', is_default: true, saved: true },
    ]);
  });

  it('refuses a method that is neither a test card nor saved for the order\'s account, before any provider call', async () => {
    const before = calls.authorize ?? 0;
    const account = randomUUID();
    for (const over of [{ payment_method_id: 'pm_1NotATestCard' }, { payment_method_id: 'pm_1NotATestCard', account }, { payment_method_id: 'pm_1NotATestCard', account: 'user-9' }]) {
      expect(await refused(authorize(stack, over))).toMatchObject({ code: 'PAYMENT_METHOD_NOT_FOUND' });
    }
    expect(calls.authorize ?? 0).toBe(before);
    expect((await stack.svc.runtime.pool.query("select count(*)::int as n from payments where payment_method_id = 'pm_1NotATestCard'")).rows[0].n).toBe(0);
  });

  it('sets the default and removes only among the account\'s own methods', async () => {
    const { bus } = stack.svc.runtime;
    const alice = randomUUID();
    const bob = randomUUID();
    await stack.svc.app.methods.addTestCard(alice, 'pm_card_visa');
    await stack.svc.app.methods.addTestCard(alice, 'pm_card_mastercard');
    await stack.svc.app.methods.addTestCard(bob, 'pm_card_visa');
    const own = (ms: Awaited<ReturnType<typeof list>>) => ms.filter((m) => m.saved).map((m) => [m.id, m.is_default]);
    expect(own(await list(alice))).toEqual([
      ['pm_card_mastercard', true],
      ['pm_card_visa', false],
    ]);

    // Bob cannot touch Alice's methods: his own list and hers stay as they were.
    expect(await refused(bus.call(paymentsApi.setDefaultMethod, { account: bob, payment_method_id: 'pm_card_mastercard' }))).toMatchObject({ code: 'PAYMENT_METHOD_NOT_FOUND' });
    expect(await refused(bus.call(paymentsApi.removeMethod, { account: bob, payment_method_id: 'pm_card_mastercard' }))).toMatchObject({ code: 'PAYMENT_METHOD_NOT_FOUND' });
    expect(own(await list(alice))).toEqual([
      ['pm_card_mastercard', true],
      ['pm_card_visa', false],
    ]);

    const set = await bus.call(paymentsApi.setDefaultMethod, { account: alice, payment_method_id: 'pm_card_visa' });
    expect(own(set.methods)).toEqual([
      ['pm_card_visa', true],
      ['pm_card_mastercard', false],
    ]);
    // Removing the default makes the newest one left the default; Bob's copy of the card stays his.
    const removed = await bus.call(paymentsApi.removeMethod, { account: alice, payment_method_id: 'pm_card_visa' });
    expect(own(removed.methods)).toEqual([['pm_card_mastercard', true]]);
    expect(removed.methods.filter((m) => !m.saved).map((m) => m.id)).toEqual(testCardIds.filter((id) => id !== 'pm_card_mastercard'));
    expect(own(await list(bob))).toEqual([['pm_card_visa', true]]);
    expect(await refused(bus.call(paymentsApi.removeMethod, { account: alice, payment_method_id: 'pm_card_visa' }))).toMatchObject({ code: 'PAYMENT_METHOD_NOT_FOUND' });
  });

  it('charges the succeeding cards and records brand and last4', async () => {
    const visa = await authorize(stack);
    expect(visa).toMatchObject({ status: 'captured', amount_captured: 3858, payment_method: { id: 'pm_card_visa', brand: 'visa', last4: '4242' }, failure_code: null, provider: 'demo' });
    expect(visa.provider_ref).toMatch(/^pi_demo_/);
    const mc = await authorize(stack, { payment_method_id: 'pm_card_mastercard', capture: false });
    expect(mc).toMatchObject({ status: 'authorized', amount_captured: 0, payment_method: { brand: 'mastercard', last4: '4444' } });
  });

  it('records declines as failed payments with shopper-readable messages', async () => {
    const declined = await authorize(stack, { payment_method_id: 'pm_card_chargeDeclined' });
    expect(declined).toMatchObject({ status: 'failed', failure_code: 'card_declined', failure_message: 'Your card was declined.', payment_method: { last4: '0002' } });
    const poor = await authorize(stack, { payment_method_id: 'pm_card_chargeDeclinedInsufficientFunds' });
    expect(poor).toMatchObject({ status: 'failed', failure_code: 'insufficient_funds', failure_message: 'Your card has insufficient funds.', payment_method: { last4: '9995' } });
    const failed = await outboxEvents(stack, paymentEvents.failed);
    expect(failed.map((e) => PaymentEventData.parse(e.data).payment_id)).toEqual(expect.arrayContaining([declined.id, poor.id]));
  });

  it('asks for authentication on a local page, then completes the payment through the webhook path', async () => {
    const payment = await authorize(stack, { payment_method_id: 'pm_card_authenticationRequired' });
    expect(payment).toMatchObject({ status: 'requires_action', payment_method: { last4: '3184' } });
    expect(payment.next_action_url).toBe(`${stack.svc.httpUrl}/v1/demo/authenticate/${payment.id}`);
    const pageRes = await request(stack.svc.httpUrl).get(`/v1/demo/authenticate/${payment.id}`);
    expect(pageRes.status).toBe(200);
    expect(pageRes.text).toContain(`/v1/demo/authenticate/${payment.id}/approve`);
    const approved = await press(stack, 'authenticate', payment.id, 'approve');
    expect(approved.text).toContain('Payment confirmed');
    const after = await stack.svc.runtime.bus.call(paymentsApi.get, { payment_id: payment.id });
    expect(after).toMatchObject({ status: 'captured', amount_captured: 3858, next_action_url: null, payment_method: { brand: 'visa', last4: '3184' } });
    // A second answer is the same event id: recorded once, nothing changes.
    await press(stack, 'authenticate', payment.id, 'decline');
    expect((await stack.svc.runtime.bus.call(paymentsApi.get, { payment_id: payment.id })).status).toBe('captured');
    const { rows } = await stack.svc.runtime.pool.query('select count(*)::int as n from processed_webhook_events where event_id like $1', [`evt_demo_${payment.id.replace(/-/g, '')}%`]);
    expect(rows[0].n).toBe(1);
  });

  it('fails a payment whose authentication the shopper fails', async () => {
    const payment = await authorize(stack, { payment_method_id: 'pm_card_authenticationRequired', capture: false });
    expect((await press(stack, 'authenticate', payment.id, 'decline')).status).toBe(200);
    expect(await stack.svc.runtime.bus.call(paymentsApi.get, { payment_id: payment.id })).toMatchObject({
      status: 'failed',
      failure_code: 'payment_intent_authentication_failure',
      failure_message: 'Your bank could not authenticate this payment.',
    });
  });

  it('refuses an unknown payment method', async () => {
    const err = await refused(authorize(stack, { payment_method_id: 'pm_card_unknown' }));
    expect(err).toMatchObject({ code: 'PAYMENT_METHOD_NOT_FOUND' });
  });

  it('creates one payment and calls the provider once for ten concurrent requests with one key', async () => {
    const before = calls.authorize ?? 0;
    const order_id = randomUUID();
    const idempotency_key = key();
    const results = await Promise.all(Array.from({ length: 10 }, () => authorize(stack, { order_id, idempotency_key })));
    expect(new Set(results.map((p) => p.id)).size).toBe(1);
    expect(results.every((p) => p.status === 'captured')).toBe(true);
    expect((calls.authorize ?? 0) - before).toBe(1);
    const { rows } = await stack.svc.runtime.pool.query('select count(*)::int as n from payments where idempotency_key = $1', [idempotency_key]);
    expect(rows[0].n).toBe(1);
    const captured = (await outboxEvents(stack, paymentEvents.captured)).filter((e) => e.data.payment_id === results[0].id);
    expect(captured).toHaveLength(1);
  });

  it('refuses the same key with a different amount or order', async () => {
    const order_id = randomUUID();
    const idempotency_key = key();
    await authorize(stack, { order_id, idempotency_key });
    expect(await refused(authorize(stack, { order_id, idempotency_key, amount: 1 }))).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', details: { differs: ['amount'] } });
    expect(await refused(authorize(stack, { idempotency_key }))).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', details: { differs: ['order_id'] } });
  });

  it('captures and voids authorised payments, and refuses what the state table forbids', async () => {
    const bus = stack.svc.runtime.bus;
    const a = await authorize(stack, { capture: false });
    const captured = await bus.call(paymentsApi.capture, { payment_id: a.id });
    expect(captured).toMatchObject({ status: 'captured', amount_captured: 3858 });
    expect(await bus.call(paymentsApi.capture, { payment_id: a.id })).toMatchObject({ status: 'captured' });
    expect(await refused(bus.call(paymentsApi.void, { payment_id: a.id }))).toMatchObject({ code: 'INVALID_TRANSITION' });

    const b = await authorize(stack, { capture: false });
    expect(await bus.call(paymentsApi.void, { payment_id: b.id })).toMatchObject({ status: 'voided', amount_captured: 0 });
    expect(await refused(bus.call(paymentsApi.capture, { payment_id: b.id }))).toMatchObject({ code: 'INVALID_TRANSITION' });
    const voided = (await outboxEvents(stack, paymentEvents.voided)).map((e) => e.data.payment_id);
    expect(voided).toContain(b.id);

    const failed = await authorize(stack, { payment_method_id: 'pm_card_chargeDeclined' });
    expect(await refused(bus.call(paymentsApi.void, { payment_id: failed.id }))).toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(await refused(bus.call(paymentsApi.capture, { payment_id: randomUUID() }))).toMatchObject({ code: 'PAYMENT_NOT_FOUND' });
  });

  it('refunds partially then fully, and never more than was captured', async () => {
    const bus = stack.svc.runtime.bus;
    const p = await authorize(stack, { amount: 1000 });
    const first = await bus.call(paymentsApi.refund, { payment_id: p.id, amount: 300, idempotency_key: key(), reason: 'one item returned' });
    expect(first).toMatchObject({ amount: 300, status: 'succeeded', reason: 'one item returned' });
    expect(await bus.call(paymentsApi.get, { payment_id: p.id })).toMatchObject({ status: 'partially_refunded', amount_refunded: 300 });
    expect(await refused(bus.call(paymentsApi.refund, { payment_id: p.id, amount: 701, idempotency_key: key() }))).toMatchObject({
      code: 'REFUND_EXCEEDS_CAPTURED',
      details: { refundable: 700 },
    });
    const rest = await bus.call(paymentsApi.refund, { payment_id: p.id, idempotency_key: key() });
    expect(rest.amount).toBe(700);
    expect(await bus.call(paymentsApi.get, { payment_id: p.id })).toMatchObject({ status: 'refunded', amount_refunded: 1000 });
    expect(await refused(bus.call(paymentsApi.refund, { payment_id: p.id, amount: 1, idempotency_key: key() }))).toMatchObject({ code: 'REFUND_EXCEEDS_CAPTURED' });
    const refundedEvents = (await outboxEvents(stack, paymentEvents.refunded)).filter((e) => e.data.payment_id === p.id).map((e) => PaymentEventData.parse(e.data));
    expect(refundedEvents.map((e) => [e.status, e.refund?.amount])).toEqual([
      ['partially_refunded', 300],
      ['refunded', 700],
    ]);
  });

  it('serialises concurrent refunds: their sum never exceeds the captured amount', async () => {
    const bus = stack.svc.runtime.bus;
    const p = await authorize(stack, { amount: 1000 });
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => bus.call(paymentsApi.refund, { payment_id: p.id, amount: 300, idempotency_key: key() }).then((r) => r.amount, (e: AppError) => e.code)),
    );
    expect(outcomes.filter((o) => o === 300)).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'REFUND_EXCEEDS_CAPTURED')).toHaveLength(5);
    expect(await bus.call(paymentsApi.get, { payment_id: p.id })).toMatchObject({ amount_refunded: 900, status: 'partially_refunded' });
  });

  it('returns the same refund for the same key, even concurrently', async () => {
    const bus = stack.svc.runtime.bus;
    const p = await authorize(stack, { amount: 1000 });
    const idempotency_key = key();
    const refunds = await Promise.all(Array.from({ length: 5 }, () => bus.call(paymentsApi.refund, { payment_id: p.id, amount: 400, idempotency_key })));
    expect(new Set(refunds.map((r) => r.id)).size).toBe(1);
    expect((await bus.call(paymentsApi.get, { payment_id: p.id })).amount_refunded).toBe(400);
    expect(await refused(bus.call(paymentsApi.refund, { payment_id: p.id, amount: 500, idempotency_key }))).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('refuses to refund a payment that was never captured', async () => {
    const p = await authorize(stack, { capture: false });
    expect(await refused(stack.svc.runtime.bus.call(paymentsApi.refund, { payment_id: p.id, idempotency_key: key() }))).toMatchObject({ code: 'INVALID_TRANSITION' });
  });

  it('finds payments by order over NATS and HTTP', async () => {
    const order_id = randomUUID();
    const declined = await authorize(stack, { order_id, payment_method_id: 'pm_card_chargeDeclined' });
    const paid = await authorize(stack, { order_id });
    expect((await stack.svc.runtime.bus.call(paymentsApi.getByOrder, { order_id })).id).toBe(paid.id);
    const list = await request(stack.svc.httpUrl).get('/v1/payments').set(serviceHeaders).query({ order_id }).expect(200);
    expect(list.body.items.map((p: { id: string }) => p.id)).toEqual([paid.id, declined.id]);
    const one = await request(stack.svc.httpUrl).get(`/v1/payments/${paid.id}`).set(serviceHeaders).expect(200);
    expect(one.body).toMatchObject({ id: paid.id, status: 'captured' });
    const missing = await request(stack.svc.httpUrl).get(`/v1/payments/${randomUUID()}`).set(serviceHeaders);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('PAYMENT_NOT_FOUND');
    const bad = await request(stack.svc.httpUrl).get('/v1/payments/not-a-uuid').set(serviceHeaders);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('path.id') });
    expect(await refused(stack.svc.runtime.bus.call(paymentsApi.getByOrder, { order_id: randomUUID() }))).toMatchObject({ code: 'PAYMENT_NOT_FOUND' });
  });

  it('rejects bad input naming the field', async () => {
    const err = await refused(authorize(stack, { amount: 12.5 }));
    expect(err).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('amount') });
    const neg = await refused(authorize(stack, { amount: 0 }));
    expect(neg).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('amount') });
  });

  it('refuses card data on NATS and HTTP with CARD_DATA_REFUSED', async () => {
    const bus = stack.svc.runtime.bus;
    expect(await refused(authorize(stack, { description: 'use 4242 4242 4242 4242' }))).toMatchObject({ code: 'CARD_DATA_REFUSED', details: { field: 'description' } });
    expect(await refused(authorize(stack, { card_number: '4000056655665556' }))).toMatchObject({ code: 'CARD_DATA_REFUSED', details: { field: 'card_number' } });
    expect(await refused(bus.call(paymentsApi.listMethods, { customer: 'x', cvc: '123' } as never))).toMatchObject({ code: 'CARD_DATA_REFUSED', details: { field: 'cvc' } });
    const http = await request(stack.svc.httpUrl).get('/v1/payments').query({ order_id: '4242424242424242' });
    expect(http.status).toBe(400);
    expect(http.body.error).toMatchObject({ code: 'CARD_DATA_REFUSED', details: { field: 'query.order_id' } });
    expect(JSON.stringify(http.body)).not.toContain('4242424242424242');
    const { rows } = await stack.svc.runtime.pool.query("select count(*)::int as n from payments where description like '%4242%'");
    expect(rows[0].n).toBe(0);
  });

  it('creates a demo checkout link once per key and completes it from its page, once', async () => {
    const bus = stack.svc.runtime.bus;
    const cart_id = randomUUID().replace(/-/g, '');
    const req = {
      cart_id,
      customer: 'user_9',
      amount: 3858,
      currency: 'USD' as const,
      line_items: [{ name: 'Trail <Sock>', quantity: 3, unit_amount: 999 }],
      idempotency_key: key(),
    };
    const links = await Promise.all([bus.call(paymentsApi.createCheckoutLink, req), bus.call(paymentsApi.createCheckoutLink, req)]);
    expect(links[0].id).toBe(links[1].id);
    const link = links[0];
    expect(link).toMatchObject({ status: 'open', url: `${stack.svc.httpUrl}/v1/demo/checkout/${link.id}` });
    expect(await refused(bus.call(paymentsApi.createCheckoutLink, { ...req, amount: 1 }))).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });

    const pageRes = await request(stack.svc.httpUrl).get(`/v1/demo/checkout/${link.id}`).expect(200);
    expect(pageRes.text).toContain('Trail &lt;Sock&gt;');
    expect(pageRes.text).toContain('$38.58');
    expect(pageRes.text).toContain(`action="/v1/demo/checkout/${link.id}/approve"`);

    expect((await press(stack, 'checkout', link.id, 'approve')).status).toBe(200);
    expect((await press(stack, 'checkout', link.id, 'approve')).status).toBe(200);
    const completed = (await outboxEvents(stack, paymentEvents.checkoutCompleted)).filter((e) => e.data.checkout_id === link.id);
    expect(completed).toHaveLength(1);
    expect(CheckoutCompletedEventData.parse(completed[0].data)).toMatchObject({ cart_id, checkout_id: link.id, amount: 3858, currency: 'USD', customer: 'user_9', provider: 'demo' });
    expect((await bus.call(paymentsApi.createCheckoutLink, req)).status).toBe('completed');
  });

  it('closes a cancelled demo checkout without charging', async () => {
    const bus = stack.svc.runtime.bus;
    const link = await bus.call(paymentsApi.createCheckoutLink, {
      cart_id: randomUUID().replace(/-/g, ''),
      customer: 'user_9',
      amount: 500,
      currency: 'USD',
      line_items: [{ name: 'Cap', quantity: 1, unit_amount: 500 }],
      idempotency_key: key(),
    });
    expect((await press(stack, 'checkout', link.id, 'cancel')).status).toBe(200);
    const late = await press(stack, 'checkout', link.id, 'approve');
    expect(late.status).toBe(409);
    expect((await outboxEvents(stack, paymentEvents.checkoutCompleted)).filter((e) => e.data.checkout_id === link.id)).toHaveLength(0);
    expect((await request(stack.svc.httpUrl).get('/v1/demo/checkout/cs_demo_nothere')).status).toBe(400);
  });

  it('a cross-site form post (foreign Origin, no token) approves nothing; a wrong or another link\'s token neither; the page\'s own form does', async () => {
    const bus = stack.svc.runtime.bus;
    const link = await bus.call(paymentsApi.createCheckoutLink, {
      cart_id: randomUUID().replace(/-/g, ''),
      customer: 'user_csrf',
      amount: 700,
      currency: 'USD',
      line_items: [{ name: 'Mug', quantity: 1, unit_amount: 700 }],
      idempotency_key: key(),
    });
    const other = await bus.call(paymentsApi.createCheckoutLink, {
      cart_id: randomUUID().replace(/-/g, ''),
      customer: 'user_csrf',
      amount: 800,
      currency: 'USD',
      line_items: [{ name: 'Cup', quantity: 1, unit_amount: 800 }],
      idempotency_key: key(),
    });
    const approveUrl = `${stack.svc.httpUrl}/v1/demo/checkout/${link.id}/approve`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const crossSite = await rawRequest(approveUrl, { method: 'POST', headers: { ...form, origin: 'https://attacker.example' }, body: '' });
    expect([crossSite.status, JSON.parse(crossSite.text).error.code]).toEqual([403, 'FORBIDDEN']);
    // No Origin (a privacy-stripping browser, curl) but no token either: still refused, by the CSRF check.
    const noToken = await rawRequest(approveUrl, { method: 'POST', headers: form, body: '' });
    expect(noToken.status).toBe(403);
    expect(noToken.text).toContain('nothing was done');
    const wrongToken = await rawRequest(approveUrl, { method: 'POST', headers: form, body: 'csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(wrongToken.status).toBe(403);
    const otherPage = (await request(stack.svc.httpUrl).get(`/v1/demo/checkout/${other.id}`)).text;
    const otherToken = /name="csrf" value="([^"]+)"/.exec(otherPage)![1];
    expect((await rawRequest(approveUrl, { method: 'POST', headers: form, body: `csrf=${otherToken}` })).status).toBe(403);
    // A GET never changes anything.
    expect((await request(stack.svc.httpUrl).get(`/v1/demo/checkout/${link.id}/approve`)).status).toBeGreaterThanOrEqual(400);
    expect((await outboxEvents(stack, paymentEvents.checkoutCompleted)).filter((e) => e.data.checkout_id === link.id)).toHaveLength(0);
    const [row] = (await stack.svc.runtime.pool.query<{ status: string }>('select status from checkout_links where id = $1', [link.id])).rows;
    expect(row.status).toBe('open');

    // The page: strict CSP, no framing, no sniffing, not cached; its own form goes through.
    const pageRes = await request(stack.svc.httpUrl).get(`/v1/demo/checkout/${link.id}`);
    expect(pageRes.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    expect([pageRes.headers['x-frame-options'], pageRes.headers['x-content-type-options'], pageRes.headers['cache-control']]).toEqual(['DENY', 'nosniff', 'no-store']);
    const approved = await press(stack, 'checkout', link.id, 'approve');
    expect([approved.status, approved.text.includes('was paid')]).toEqual([200, true]);
    expect((await outboxEvents(stack, paymentEvents.checkoutCompleted)).filter((e) => e.data.checkout_id === link.id)).toHaveLength(1);
  });

  it('the authentication page refuses a forged answer the same way', async () => {
    const payment = await authorize(stack, { payment_method_id: 'pm_card_authenticationRequired', capture: false });
    const url = `${stack.svc.httpUrl}/v1/demo/authenticate/${payment.id}/decline`;
    expect((await rawRequest(url, { method: 'POST', headers: { origin: 'null', 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status).toBe(403);
    expect((await rawRequest(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=x' })).status).toBe(403);
    expect((await stack.svc.runtime.bus.call(paymentsApi.get, { payment_id: payment.id })).status).toBe('requires_action');
  });

  it('every payment read needs a credential; the pages, the return page and the webhook stay public; Host is checked', async () => {
    const { checked, problems } = await httpBoundaryProblems(stack.svc.httpUrl, {
      public: [
        'GET /v1/openapi.json',
        'POST /v1/webhooks/stripe',
        'GET /v1/demo/checkout/:id',
        'POST /v1/demo/checkout/:id/approve',
        'POST /v1/demo/checkout/:id/cancel',
        'GET /v1/demo/authenticate/:id',
        'POST /v1/demo/authenticate/:id/approve',
        'POST /v1/demo/authenticate/:id/decline',
        'GET /v1/demo/setup/:token',
        'POST /v1/demo/setup/:token',
        'GET /v1/return',
      ],
      admin: [],
    });
    expect(problems).toEqual([]);
    expect(checked).toEqual(expect.arrayContaining(['GET /v1/payments', 'GET /v1/payments/:id']));
    const p = await authorize(stack);
    const list = await rawRequest(`${stack.svc.httpUrl}/v1/payments?order_id=${p.order_id}`);
    expect([list.status, list.headers['www-authenticate']]).toEqual([401, 'Bearer realm="payments"']);
    expect(list.text).not.toContain(p.id);
    const port = new URL(stack.svc.httpUrl).port;
    expect((await rawRequest(`${stack.svc.httpUrl}/v1/payments?order_id=${p.order_id}`, { headers: { ...serviceHeaders, host: `rebind.attacker.example:${port}` } })).status).toBe(403);
    expect((await rawRequest(`${stack.svc.httpUrl}/v1/return`, { headers: { host: `payments:${port}` } })).status).toBe(200);
  });

  it('publishes payment events through the outbox to JetStream', async () => {
    const p = await authorize(stack);
    const { rows } = await stack.svc.runtime.pool.query<{ n: number }>(
      "select count(*)::int as n from outbox where payload->'data'->>'payment_id' = $1 and published_at is null",
      [p.id],
    );
    // The relay is kicked after commit; give it a moment, then nothing of this payment is left unpublished.
    for (let i = 0; i < 40 && rows[0].n > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      rows[0] = (await stack.svc.runtime.pool.query("select count(*)::int as n from outbox where payload->'data'->>'payment_id' = $1 and published_at is null", [p.id])).rows[0];
    }
    expect(rows[0].n).toBe(0);
  });

  it('serves an OpenAPI document and health checks', async () => {
    const doc = await request(stack.svc.httpUrl).get('/v1/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/payments/{id}', '/v1/payments', '/v1/webhooks/stripe', '/v1/demo/checkout/{id}']));
    await request(stack.svc.httpUrl).get('/readyz').expect(200);
  });
});
