import type pg from 'pg';
import type { CheckoutLink, Payment, PaymentStatus, Refund } from '@shop/contracts';
import type { ProviderPayment } from '../domain/provider.js';

export type Db = Pick<pg.PoolClient, 'query'>;

/** Named statements: Postgres parses and plans each once per connection. */
function prepared(name: string, text: string) {
  return (values: unknown[]): pg.QueryConfig => ({ name, text, values });
}

export interface PaymentRow {
  id: string;
  provider: 'demo' | 'stripe';
  provider_ref: string | null;
  order_id: string;
  customer: string;
  amount: number;
  currency: 'USD';
  capture: boolean;
  status: PaymentStatus;
  amount_captured: number;
  amount_refunded: number;
  idempotency_key: string;
  description: string | null;
  payment_method_id: string | null;
  payment_method_brand: string | null;
  payment_method_last4: string | null;
  failure_code: string | null;
  failure_message: string | null;
  next_action_url: string | null;
  /** The account to save the method for once the payment succeeds; null: save nothing. */
  save_for_customer: string | null;
  /** The order's account, when it has one. */
  account_id: string | null;
  /** The provider customer the method was charged under (an account's own card), else null. */
  provider_customer: string | null;
  /** The provider call under way (intent committed, result not yet recorded), and when it was claimed. */
  pending_op: 'authorize' | 'capture' | 'void' | null;
  pending_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function toPayment(r: PaymentRow): Payment {
  return {
    id: r.id,
    order_id: r.order_id,
    provider: r.provider,
    provider_ref: r.provider_ref,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    amount_captured: r.amount_captured,
    amount_refunded: r.amount_refunded,
    payment_method: { id: r.payment_method_id, brand: r.payment_method_brand, last4: r.payment_method_last4 },
    failure_code: r.failure_code,
    failure_message: r.failure_message,
    next_action_url: r.next_action_url,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

export interface NewPayment {
  id: string;
  provider: 'demo' | 'stripe';
  orderId: string;
  customer: string;
  amount: number;
  currency: string;
  capture: boolean;
  idempotencyKey: string;
  description: string | null;
  paymentMethodId: string;
  saveForCustomer: string | null;
  accountId: string | null;
  providerCustomer: string | null;
}

const insertPaymentSql = prepared(
  'payments_insert',
  `insert into payments (id, provider, order_id, customer, amount, currency, capture, status, idempotency_key, description, payment_method_id, save_for_customer,
     account_id, provider_customer)
   values ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $11, $12, $13)
   on conflict (idempotency_key) do nothing`,
);
/** Inserts a pending payment unless the idempotency key already has one. */
export async function insertPendingPayment(db: Db, p: NewPayment): Promise<void> {
  await db.query(
    insertPaymentSql([p.id, p.provider, p.orderId, p.customer, p.amount, p.currency, p.capture, p.idempotencyKey, p.description, p.paymentMethodId, p.saveForCustomer, p.accountId, p.providerCustomer]),
  );
}

const byKeySql = prepared('payments_by_key', 'select * from payments where idempotency_key = $1');
export async function findPaymentByKey(db: Db, key: string): Promise<PaymentRow | null> {
  const { rows } = await db.query<PaymentRow>(byKeySql([key]));
  return rows[0] ?? null;
}

const lockByKeySql = prepared('payments_lock_by_key', 'select * from payments where idempotency_key = $1 for update');
export async function lockPaymentByKey(db: Db, key: string): Promise<PaymentRow | null> {
  const { rows } = await db.query<PaymentRow>(lockByKeySql([key]));
  return rows[0] ?? null;
}

const lockByIdSql = prepared('payments_lock_by_id', 'select * from payments where id = $1 for update');
export async function lockPayment(db: Db, id: string): Promise<PaymentRow | null> {
  const { rows } = await db.query<PaymentRow>(lockByIdSql([id]));
  return rows[0] ?? null;
}

const lockByRefSql = prepared('payments_lock_by_ref', 'select * from payments where provider = $1 and provider_ref = $2 for update');
export async function lockPaymentByRef(db: Db, provider: string, ref: string): Promise<PaymentRow | null> {
  const { rows } = await db.query<PaymentRow>(lockByRefSql([provider, ref]));
  return rows[0] ?? null;
}

const byIdSql = prepared('payments_by_id', 'select * from payments where id = $1');
export async function findPayment(db: Db, id: string): Promise<PaymentRow | null> {
  const { rows } = await db.query<PaymentRow>(byIdSql([id]));
  return rows[0] ?? null;
}

const byRefSql = prepared('payments_by_ref', 'select * from payments where provider = $1 and provider_ref = $2');
export async function findPaymentByRef(db: Db, provider: string, ref: string): Promise<PaymentRow | null> {
  const { rows } = await db.query<PaymentRow>(byRefSql([provider, ref]));
  return rows[0] ?? null;
}

const byOrderSql = prepared('payments_by_order', 'select * from payments where order_id = $1 order by created_at desc, id desc limit 50');
export async function listPaymentsByOrder(db: Db, orderId: string): Promise<PaymentRow[]> {
  const { rows } = await db.query<PaymentRow>(byOrderSql([orderId]));
  return rows;
}

const applyProviderSql = prepared(
  'payments_apply_provider',
  `update payments set
     provider_ref = coalesce($2, provider_ref),
     status = $3,
     amount_captured = $4,
     payment_method_id = coalesce($5, payment_method_id),
     payment_method_brand = coalesce($6, payment_method_brand),
     payment_method_last4 = coalesce($7, payment_method_last4),
     failure_code = $8,
     failure_message = $9,
     next_action_url = $10,
     pending_op = null,
     pending_since = null,
     updated_at = now()
   where id = $1
   returning *`,
);
/** Stores what the provider reported; method details the report lacks are kept. */
export async function applyProviderPayment(db: Db, id: string, p: ProviderPayment, status: PaymentStatus): Promise<PaymentRow> {
  const { rows } = await db.query<PaymentRow>(
    applyProviderSql([id, p.providerRef, status, p.amountCaptured, p.method.id, p.method.brand, p.method.last4, p.failureCode, p.failureMessage, p.nextActionUrl]),
  );
  return rows[0];
}

export type PendingOp = NonNullable<PaymentRow['pending_op']>;

/**
 * Claims a provider call on a locked payment: only when none is under way, or the one under way was
 * last claimed before staleBefore (its caller crashed or gave up). Null when another holds it.
 */
export async function claimOp(db: Db, id: string, op: PendingOp, staleBefore: Date): Promise<PaymentRow | null> {
  const { rows } = await db.query<PaymentRow>(
    `update payments set pending_op = $2, pending_since = now(), updated_at = now()
     where id = $1 and (pending_op is null or pending_since < $3) returning *`,
    [id, op, staleBefore],
  );
  return rows[0] ?? null;
}

/** Ends a provider call: done (null), or failed in a way anyone may retry at once (-infinity). */
export async function releaseOp(db: Db, id: string, op: PendingOp, retryable: boolean): Promise<void> {
  await db.query(
    retryable
      ? `update payments set pending_since = '-infinity' where id = $1 and pending_op = $2`
      : `update payments set pending_op = null, pending_since = null where id = $1 and pending_op = $2`,
    [id, op],
  );
}

/** Deletes the intent of an authorisation the provider refused outright: nothing was charged, nothing stays. */
export async function deleteUnchargedPayment(db: Db, id: string): Promise<void> {
  await db.query(`delete from payments where id = $1 and pending_op = 'authorize' and provider_ref is null and status = 'pending'`, [id]);
}

/** Payments whose provider call has not been recorded since before staleBefore. */
export async function staleIntents(db: Db, staleBefore: Date, limit = 50): Promise<Array<{ id: string; pending_op: PendingOp }>> {
  const { rows } = await db.query<{ id: string; pending_op: PendingOp }>(
    'select id, pending_op from payments where pending_op is not null and pending_since < $1 order by pending_since limit $2',
    [staleBefore, limit],
  );
  return rows;
}

const setRefundedSql = prepared('payments_set_refunded', 'update payments set amount_refunded = $2, status = $3, updated_at = now() where id = $1 returning *');
export async function setRefunded(db: Db, id: string, amountRefunded: number, status: PaymentStatus): Promise<PaymentRow> {
  const { rows } = await db.query<PaymentRow>(setRefundedSql([id, amountRefunded, status]));
  return rows[0];
}

export interface RefundRow {
  id: string;
  payment_id: string;
  amount: number;
  status: 'pending' | 'succeeded' | 'failed';
  reason: string | null;
  idempotency_key: string;
  provider_ref: string | null;
  /** Null while the provider's answer is not recorded yet. */
  settled_at: Date | null;
  attempt_at: Date | null;
  requested_by: string;
  failure_message: string | null;
  created_at: Date;
}

export function toRefund(r: RefundRow): Refund {
  return { id: r.id, payment_id: r.payment_id, amount: r.amount, status: r.status, reason: r.reason, created_at: r.created_at.toISOString() };
}

const refundByKeySql = prepared('refunds_by_key', 'select * from refunds where idempotency_key = $1');
export async function findRefundByKey(db: Db, key: string): Promise<RefundRow | null> {
  const { rows } = await db.query<RefundRow>(refundByKeySql([key]));
  return rows[0] ?? null;
}

const insertRefundSql = prepared(
  'refunds_insert_intent',
  `insert into refunds (id, payment_id, amount, status, reason, idempotency_key, requested_by, attempt_at) values ($1, $2, $3, 'pending', $4, $5, $6, now()) returning *`,
);
/** The refund's intent: written and committed before the provider is asked. */
export async function insertRefundIntent(
  db: Db,
  r: { id: string; paymentId: string; amount: number; reason: string | null; idempotencyKey: string; requestedBy: string },
): Promise<RefundRow> {
  const { rows } = await db.query<RefundRow>(insertRefundSql([r.id, r.paymentId, r.amount, r.reason, r.idempotencyKey, r.requestedBy]));
  return rows[0];
}

/** What refunds of this payment not yet settled hold back from what may still be refunded. */
export async function unsettledRefundTotal(db: Db, paymentId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select coalesce(sum(amount), 0)::bigint as n from refunds where payment_id = $1 and settled_at is null', [paymentId]);
  return rows[0].n;
}

/** Claims the provider call of an unsettled refund (none under way, or the one under way is stale). */
export async function claimRefund(db: Db, id: string, staleBefore: Date): Promise<RefundRow | null> {
  const { rows } = await db.query<RefundRow>(
    'update refunds set attempt_at = now() where id = $1 and settled_at is null and (attempt_at is null or attempt_at < $2) returning *',
    [id, staleBefore],
  );
  return rows[0] ?? null;
}

/** A retryable failure: anyone may ask the provider again at once. */
export async function releaseRefund(db: Db, id: string): Promise<void> {
  await db.query(`update refunds set attempt_at = '-infinity' where id = $1 and settled_at is null`, [id]);
}

export async function lockRefund(db: Db, id: string): Promise<RefundRow | null> {
  const { rows } = await db.query<RefundRow>('select * from refunds where id = $1 for update', [id]);
  return rows[0] ?? null;
}

export async function findRefund(db: Db, id: string): Promise<RefundRow | null> {
  const { rows } = await db.query<RefundRow>('select * from refunds where id = $1', [id]);
  return rows[0] ?? null;
}

export async function settleRefund(db: Db, id: string, r: { status: RefundRow['status']; providerRef: string | null; failureMessage: string | null }): Promise<RefundRow> {
  const { rows } = await db.query<RefundRow>(
    'update refunds set status = $2, provider_ref = $3, failure_message = $4, settled_at = now() where id = $1 returning *',
    [id, r.status, r.providerRef, r.failureMessage],
  );
  return rows[0];
}

export async function staleRefunds(db: Db, staleBefore: Date, limit = 50): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('select id from refunds where settled_at is null and attempt_at < $1 order by attempt_at limit $2', [staleBefore, limit]);
  return rows.map((r) => r.id);
}

export interface LinkIntentRow {
  idempotency_key: string;
  request: unknown;
  attempt_at: Date;
}

/** Records (or re-claims, when stale) the intent to create a checkout link; null when another holds it. */
export async function claimLinkIntent(db: Db, key: string, request: unknown, staleBefore: Date): Promise<LinkIntentRow | null> {
  const { rows } = await db.query<LinkIntentRow>(
    `insert into checkout_link_intents (idempotency_key, request) values ($1, $2)
     on conflict (idempotency_key) do update set attempt_at = now() where checkout_link_intents.attempt_at < $3
     returning *`,
    [key, JSON.stringify(request), staleBefore],
  );
  return rows[0] ?? null;
}

export async function deleteLinkIntent(db: Db, key: string): Promise<void> {
  await db.query('delete from checkout_link_intents where idempotency_key = $1', [key]);
}

export async function releaseLinkIntent(db: Db, key: string): Promise<void> {
  await db.query(`update checkout_link_intents set attempt_at = '-infinity' where idempotency_key = $1`, [key]);
}

export async function findLinkIntent(db: Db, key: string): Promise<LinkIntentRow | null> {
  const { rows } = await db.query<LinkIntentRow>('select * from checkout_link_intents where idempotency_key = $1', [key]);
  return rows[0] ?? null;
}

export async function staleLinkIntents(db: Db, staleBefore: Date, limit = 50): Promise<LinkIntentRow[]> {
  const { rows } = await db.query<LinkIntentRow>('select * from checkout_link_intents where attempt_at < $1 order by attempt_at limit $2', [staleBefore, limit]);
  return rows;
}

export interface CheckoutLinkRow {
  id: string;
  provider: 'demo' | 'stripe';
  cart_id: string;
  customer: string;
  amount: number;
  currency: 'USD';
  line_items: Array<{ name: string; quantity: number; unit_amount: number }>;
  idempotency_key: string;
  status: CheckoutLink['status'];
  url: string;
  provider_payment_ref: string | null;
  expires_at: Date;
  completed_at: Date | null;
  /** Set for a link created for an order: that order and the payment recorded for it. */
  order_id: string | null;
  payment_id: string | null;
}

/** An open link past its expiry reads as expired, whether or not a sweep has marked it. */
export function toCheckoutLink(r: CheckoutLinkRow, now = new Date()): CheckoutLink {
  const status = r.status === 'open' && r.expires_at <= now ? 'expired' : r.status;
  return { id: r.id, url: r.url, status, expires_at: r.expires_at.toISOString(), payment_id: r.payment_id };
}

export async function findCheckoutLinkOfPayment(db: Db, paymentId: string): Promise<CheckoutLinkRow | null> {
  const { rows } = await db.query<CheckoutLinkRow>('select * from checkout_links where payment_id = $1', [paymentId]);
  return rows[0] ?? null;
}

/** The link a payment was recorded for, locked: a link payment is voided by closing its link. */
export async function lockCheckoutLinkOfPayment(db: Db, paymentId: string): Promise<CheckoutLinkRow | null> {
  const { rows } = await db.query<CheckoutLinkRow>('select * from checkout_links where payment_id = $1 for update', [paymentId]);
  return rows[0] ?? null;
}

/**
 * The pending payment of an order paid through a checkout link: no method yet (the shopper picks
 * it on the provider's page), the checkout session as provider_ref until the provider's payment is known.
 */
export async function insertCheckoutPayment(
  db: Db,
  p: { id: string; provider: string; orderId: string; customer: string; amount: number; currency: string; idempotencyKey: string; checkoutId: string; description: string },
): Promise<PaymentRow> {
  const { rows } = await db.query<PaymentRow>(
    `insert into payments (id, provider, provider_ref, order_id, customer, amount, currency, capture, status, idempotency_key, description)
     values ($1, $2, $3, $4, $5, $6, $7, true, 'pending', $8, $9) returning *`,
    [p.id, p.provider, p.checkoutId, p.orderId, p.customer, p.amount, p.currency, p.idempotencyKey, p.description],
  );
  return rows[0];
}

export async function linkCheckoutToPayment(db: Db, checkoutId: string, orderId: string, paymentId: string): Promise<CheckoutLinkRow> {
  const { rows } = await db.query<CheckoutLinkRow>('update checkout_links set order_id = $2, payment_id = $3, updated_at = now() where id = $1 returning *', [
    checkoutId,
    orderId,
    paymentId,
  ]);
  return rows[0];
}

export async function findCheckoutLinkByKey(db: Db, key: string): Promise<CheckoutLinkRow | null> {
  const { rows } = await db.query<CheckoutLinkRow>('select * from checkout_links where idempotency_key = $1', [key]);
  return rows[0] ?? null;
}

export async function findCheckoutLink(db: Db, id: string, lock = false): Promise<CheckoutLinkRow | null> {
  const { rows } = await db.query<CheckoutLinkRow>(`select * from checkout_links where id = $1${lock ? ' for update' : ''}`, [id]);
  return rows[0] ?? null;
}

export async function insertCheckoutLink(
  db: Db,
  l: { id: string; provider: string; cartId: string; customer: string; amount: number; currency: string; lineItems: unknown; idempotencyKey: string; url: string; expiresAt: Date },
): Promise<CheckoutLinkRow> {
  const { rows } = await db.query<CheckoutLinkRow>(
    `insert into checkout_links (id, provider, cart_id, customer, amount, currency, line_items, idempotency_key, status, url, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10) returning *`,
    [l.id, l.provider, l.cartId, l.customer, l.amount, l.currency, JSON.stringify(l.lineItems), l.idempotencyKey, l.url, l.expiresAt],
  );
  return rows[0];
}

export async function setCheckoutLinkStatus(db: Db, id: string, status: CheckoutLink['status'], providerPaymentRef: string | null): Promise<void> {
  await db.query(
    `update checkout_links set status = $2, provider_payment_ref = coalesce($3, provider_payment_ref),
       completed_at = case when $2 = 'completed' then now() else completed_at end, updated_at = now() where id = $1`,
    [id, status, providerPaymentRef],
  );
}

/** Records a verified event once; false when its id was seen before. */
export async function recordWebhookEvent(db: Db, e: { id: string; provider: string; type: string; payload: unknown }): Promise<boolean> {
  const result = await db.query(
    'insert into processed_webhook_events (event_id, provider, type, payload) values ($1, $2, $3, $4) on conflict (event_id) do nothing',
    [e.id, e.provider, e.type, JSON.stringify(e.payload)],
  );
  return result.rowCount === 1;
}

export interface WebhookEventRow {
  event_id: string;
  type: string;
  payload: unknown;
  processed_at: Date | null;
}

export async function findPendingWebhookEvent(db: Db, id: string): Promise<WebhookEventRow | null> {
  const { rows } = await db.query<WebhookEventRow>('select event_id, type, payload, processed_at from processed_webhook_events where event_id = $1 and processed_at is null', [id]);
  return rows[0] ?? null;
}

/** Locks an unprocessed event; a concurrent processor skips it instead of waiting. */
export async function lockPendingWebhookEvent(db: Db, id: string): Promise<WebhookEventRow | null> {
  const { rows } = await db.query<WebhookEventRow>('select event_id, type, payload, processed_at from processed_webhook_events where event_id = $1 and processed_at is null for update skip locked', [id]);
  return rows[0] ?? null;
}

export async function markWebhookProcessed(db: Db, id: string): Promise<void> {
  await db.query('update processed_webhook_events set processed_at = now(), attempts = attempts + 1, last_error = null where event_id = $1', [id]);
}

export async function markWebhookFailed(db: Db, id: string, error: string): Promise<void> {
  await db.query('update processed_webhook_events set attempts = attempts + 1, last_error = $2 where event_id = $1', [id, error.slice(0, 500)]);
}

export async function pendingWebhookEventIds(db: Db, olderThanMs: number, limit = 50): Promise<string[]> {
  const { rows } = await db.query<{ event_id: string }>(
    `select event_id from processed_webhook_events where processed_at is null and received_at < now() - make_interval(secs => $1::double precision / 1000)
     order by received_at limit $2`,
    [olderThanMs, limit],
  );
  return rows.map((r) => r.event_id);
}

export interface SavedMethodRow {
  payment_method_id: string;
  brand: string;
  last4: string;
  is_default: boolean;
  created_at: Date;
}

/** Serialises changes to one account's methods (the single default), and its first provider customer. */
export async function lockAccount(db: Db, accountId: string, what: 'methods' | 'customer'): Promise<void> {
  await db.query('select pg_advisory_xact_lock(hashtext($1))', [`payments:${what}:${accountId}`]);
}

/**
 * Saves a method for an account (under lockAccount): a new one becomes the default, as the card the
 * shopper just added is the one they mean to use; saving one again changes nothing. True when new.
 */
export async function saveMethod(db: Db, m: { accountId: string; paymentMethodId: string; brand: string; last4: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `insert into account_payment_methods (account_id, payment_method_id, brand, last4) values ($1, $2, $3, $4)
     on conflict (account_id, payment_method_id) do nothing`,
    [m.accountId, m.paymentMethodId, m.brand, m.last4],
  );
  if (rowCount !== 1) return false;
  await setDefaultMethod(db, m.accountId, m.paymentMethodId);
  return true;
}

/** Makes one of the account's methods its default (under lockAccount); false when it has no such method. */
export async function setDefaultMethod(db: Db, accountId: string, paymentMethodId: string): Promise<boolean> {
  const { rowCount } = await db.query('select 1 from account_payment_methods where account_id = $1 and payment_method_id = $2', [accountId, paymentMethodId]);
  if (rowCount !== 1) return false;
  // Two statements: the one-default index is checked row by row, so the old default goes first.
  await db.query('update account_payment_methods set is_default = false where account_id = $1 and is_default and payment_method_id <> $2', [accountId, paymentMethodId]);
  await db.query('update account_payment_methods set is_default = true where account_id = $1 and payment_method_id = $2', [accountId, paymentMethodId]);
  return true;
}

/** Removes one of the account's methods (under lockAccount); the newest left becomes the default if it was. */
export async function removeMethod(db: Db, accountId: string, paymentMethodId: string): Promise<boolean> {
  const { rows } = await db.query<{ is_default: boolean }>(
    'delete from account_payment_methods where account_id = $1 and payment_method_id = $2 returning is_default',
    [accountId, paymentMethodId],
  );
  if (!rows.length) return false;
  if (rows[0].is_default) {
    await db.query(
      `update account_payment_methods set is_default = true where account_id = $1 and payment_method_id =
         (select payment_method_id from account_payment_methods where account_id = $1 order by created_at desc, payment_method_id limit 1)`,
      [accountId],
    );
  }
  return true;
}

const savedMethodsSql = prepared(
  'account_methods',
  'select payment_method_id, brand, last4, is_default, created_at from account_payment_methods where account_id = $1 order by is_default desc, created_at desc, payment_method_id limit 20',
);
/** An account's saved methods: the default first, then the most recently saved. */
export async function savedMethods(db: Db, accountId: string): Promise<SavedMethodRow[]> {
  const { rows } = await db.query<SavedMethodRow>(savedMethodsSql([accountId]));
  return rows;
}

const accountMethodSql = prepared('account_method', 'select payment_method_id, brand, last4, is_default, created_at from account_payment_methods where account_id = $1 and payment_method_id = $2');
export async function accountMethod(db: Db, accountId: string, paymentMethodId: string): Promise<SavedMethodRow | null> {
  const { rows } = await db.query<SavedMethodRow>(accountMethodSql([accountId, paymentMethodId]));
  return rows[0] ?? null;
}

export async function findProviderCustomer(db: Db, accountId: string, provider: string): Promise<string | null> {
  const { rows } = await db.query<{ provider_customer_id: string }>('select provider_customer_id from payment_customers where account_id = $1 and provider = $2', [accountId, provider]);
  return rows[0]?.provider_customer_id ?? null;
}

/** Records the account's provider customer unless one is recorded already; returns the one that stands. */
export async function recordProviderCustomer(db: Db, accountId: string, provider: string, customerId: string): Promise<string> {
  await db.query('insert into payment_customers (account_id, provider, provider_customer_id) values ($1, $2, $3) on conflict (account_id, provider) do nothing', [
    accountId,
    provider,
    customerId,
  ]);
  return (await findProviderCustomer(db, accountId, provider))!;
}

/** The account whose provider customer this is, if any. */
export async function accountOfProviderCustomer(db: Db, provider: string, customerId: string): Promise<string | null> {
  const { rows } = await db.query<{ account_id: string }>('select account_id from payment_customers where provider = $1 and provider_customer_id = $2', [provider, customerId]);
  return rows[0]?.account_id ?? null;
}
