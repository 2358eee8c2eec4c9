import type pg from 'pg';
import { Order, OrderSnapshot, type Caller, type Cart, type ErrorBody, type OrderStatus, type OutgoingEvent } from '@shop/contracts';
import { publishEvent } from '@shop/kit';
import type { Actor } from '../domain/order-state.js';
import type { SagaStep } from '../domain/saga.js';
import { formatOrderNumber, isOrderNumber } from '../domain/order-number.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

export interface OrderRow {
  id: string;
  number: string;
  cart_id: string;
  idempotency_key: string;
  status: OrderStatus;
  saga_step: SagaStep;
  owner_subject: string | null;
  conversation: string | null;
  caller: Caller;
  payment_method_arg: string | null;
  currency: 'USD';
  /** The validated cart frozen at placement; null before the cart is validated. */
  snapshot: OrderSnapshot | null;
  payment_id: string | null;
  payment_status: string | null;
  payment_brand: string | null;
  payment_last4: string | null;
  tracking_carrier: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  reason: string | null;
  refusal: ErrorBody | null;
  compensate_to: 'payment_failed' | 'cancelled' | null;
  /** The saga step a compensation began at. */
  compensate_from: SagaStep | null;
  superseded: boolean;
  /** The direct order that took this link order's cart over. */
  replaced_by: string | null;
  external_payment: boolean;
  checkout_link_id: string | null;
  checkout_url: string | null;
  checkout_expires_at: Date | null;
  payment_checked_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A row as PostgreSQL returns it, before its snapshot is checked. */
type StoredOrderRow = Omit<OrderRow, 'snapshot'> & { snapshot: unknown };

/** A row as read: its snapshot checked against the contract, so a document that drifted fails here, named, not somewhere later. */
function orderRow(raw: StoredOrderRow | undefined): OrderRow | null {
  if (!raw) return null;
  if (raw.snapshot === null) return raw as OrderRow;
  const parsed = OrderSnapshot.safeParse(raw.snapshot);
  if (!parsed.success) throw new Error(`order ${raw.id}: its stored snapshot does not match OrderSnapshot: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { ...raw, snapshot: parsed.data };
}

/** The saga columns of an order row, as orders_with_saga names them, from a row of order_sagas. */
const SAGA_COLUMNS = (s: string) =>
  `${s}.cart_id, ${s}.idempotency_key, ${s}.step as saga_step, ${s}.compensate_from, ${s}.compensate_to, ${s}.superseded, ${s}.replaced_by`;

/**
 * The order's lock: its saga row, taken before any change of its step or status (then the order
 * row), so two changes of one order never deadlock and each checks what the other committed.
 */
export async function lockSaga(tx: Queryable, orderId: string): Promise<boolean> {
  const { rowCount } = await tx.query('select 1 from order_sagas where order_id = $1 for update', [orderId]);
  return rowCount === 1;
}

export async function appendSagaLog(q: Queryable, orderId: string, step: string, detail: Record<string, unknown> | null = null): Promise<void> {
  await q.query('insert into saga_log (order_id, step, detail) values ($1, $2, $3)', [orderId, step, detail]);
}

async function recordStatus(q: Queryable, orderId: string, status: OrderStatus, actor: Actor | string, reason: string | null): Promise<void> {
  await q.query('insert into order_status_history (order_id, status, actor, reason) values ($1, $2, $3, $4)', [orderId, status, actor, reason]);
}

export async function nextOrderNumber(q: Queryable): Promise<string> {
  const seq = await q.query<{ n: number; year: number }>(`select nextval('order_number_seq') as n, extract(year from now())::int as year`);
  return formatOrderNumber(seq.rows[0].year, seq.rows[0].n);
}

export interface NewOrder {
  id: string;
  number: string;
  cartId: string;
  idempotencyKey: string;
  caller: Caller;
  paymentMethodArg: string | null;
  externalPayment: boolean;
}

/**
 * The pending order. Returns null when its key is taken or its cart is held by another order (the
 * two unique indexes): the caller then follows the order that holds it.
 */
export async function insertPending(tx: Queryable, o: NewOrder): Promise<OrderRow | null> {
  // The saga row decides (its two unique indexes); the order row is written only when it was.
  const { rows } = await tx.query<StoredOrderRow>(
    `with placement as (
       insert into order_sagas (order_id, cart_id, idempotency_key, step) values ($1, $3, $4, 'created')
       on conflict do nothing
       returning *
     ), inserted as (
       insert into orders (id, number, status, owner_subject, conversation, caller, payment_method_arg, external_payment)
       select $1, $2, 'pending', $5, $6, $7, $8, $9 from placement
       returning *
     )
     select inserted.*, ${SAGA_COLUMNS('placement')} from inserted join placement on placement.order_id = inserted.id`,
    [o.id, o.number, o.cartId, o.idempotencyKey, o.caller.subject ?? null, o.caller.conversation ?? null, o.caller, o.paymentMethodArg, o.externalPayment],
  );
  const row = orderRow(rows[0]);
  if (!row) return null;
  await recordStatus(tx, row.id, 'pending', 'shopper', null);
  await appendSagaLog(tx, row.id, 'created', { cart_id: o.cartId });
  return row;
}

/** The order holding the cart's one placement (in progress, awaiting its link's payment, or confirmed), if any. */
export async function cartHolder(q: Queryable, cartId: string): Promise<OrderRow | null> {
  const { rows } = await q.query<StoredOrderRow>(
    `select * from orders_with_saga where cart_id = $1 and saga_step not in ('failed', 'refused') and replaced_by is null and not superseded`,
    [cartId],
  );
  return orderRow(rows[0]);
}

/**
 * A direct placement takes the cart over from its link order awaiting payment (whose payment was
 * just voided): the link order starts compensating with the reason and stops holding the cart. The
 * caller inserts the direct order in the same transaction. False when the link order moved meanwhile.
 */
export async function takeOverFromLink(tx: Queryable, linkOrderId: string, reason: string, directOrderId: string): Promise<boolean> {
  const res = await tx.query(
    `with taken as (
       update order_sagas set step = 'compensating', compensate_from = step, compensate_to = 'cancelled', replaced_by = $3, updated_at = now()
       where order_id = $1 and step = 'awaiting_payment' and replaced_by is null
       returning order_id
     )
     update orders set reason = $2, updated_at = now() where id = (select order_id from taken)`,
    [linkOrderId, reason, directOrderId],
  );
  if (res.rowCount === 0) return false;
  await appendSagaLog(tx, linkOrderId, 'compensating', { outcome: 'cancelled', reason, replaced_by: directOrderId });
  return true;
}

/** The most recently placed order with a shopper-visible form of a conversation, or of an owner subject; null if none. */
export async function latestOrder(q: Queryable, by: { conversation: string } | { subject: string }): Promise<OrderRow | null> {
  const [column, value] = 'conversation' in by ? ['conversation', by.conversation] : ['owner_subject', by.subject];
  const { rows } = await q.query<StoredOrderRow>(
    `select * from orders_with_saga where ${column} = $1 and saga_step <> 'refused' and snapshot is not null order by created_at desc, number desc limit 1`,
    [value],
  );
  return orderRow(rows[0]);
}

export async function findByKey(q: Queryable, cartId: string, idempotencyKey: string): Promise<OrderRow | null> {
  const { rows } = await q.query<StoredOrderRow>(`select * from orders_with_saga where cart_id = $1 and idempotency_key = $2 and not superseded`, [cartId, idempotencyKey]);
  return orderRow(rows[0]);
}

/** Lets a new attempt take the key of one refused for a passing cause. */
export async function supersede(q: Queryable, orderId: string): Promise<void> {
  const res = await q.query('update order_sagas set superseded = true, updated_at = now() where order_id = $1 and not superseded', [orderId]);
  if (res.rowCount) await appendSagaLog(q, orderId, 'superseded');
}

/** Enters compensation, remembering how it ends and why. Only an order not yet placed: a confirmed one is cancelled or refunded through a refund intent (lifecycle). */
export async function startCompensation(tx: Queryable, orderId: string, from: SagaStep[], to: 'payment_failed' | 'cancelled', reason: string): Promise<boolean> {
  await lockSaga(tx, orderId);
  const res = await tx.query(
    `with started as (
       update order_sagas set step = 'compensating', compensate_from = step, compensate_to = $3, updated_at = now()
       where order_id = $1 and step = any($2::text[]) and exists (select 1 from orders where id = $1 and status = 'pending')
       returning order_id
     )
     update orders set reason = $4, updated_at = now() where id = (select order_id from started)`,
    [orderId, from, to, reason],
  );
  if (res.rowCount === 0) return false;
  await appendSagaLog(tx, orderId, 'compensating', { outcome: to, reason });
  return true;
}

export async function findById(q: Queryable, id: string): Promise<OrderRow | null> {
  const { rows } = await q.query<StoredOrderRow>({ name: 'order_by_id', text: `select * from orders_with_saga where id = $1`, values: [id] });
  return orderRow(rows[0]);
}

/** By uuid or ORD- number. */
export async function findByRef(q: Queryable, ref: string): Promise<OrderRow | null> {
  const byNumber = isOrderNumber(ref);
  const { rows } = await q.query<StoredOrderRow>(`select * from orders_with_saga where ${byNumber ? 'number' : 'id'} = $1`, [ref]);
  return orderRow(rows[0]);
}

export interface Snapshot {
  cart: Cart;
  customer: string;
  /** Null for an order paid through a checkout link. */
  paymentMethodId: string | null;
  saveMethodFor: string | null;
  estimatedDelivery: { earliest: string; latest: string };
}

/** The validated cart's lines, prices and addresses, frozen on the order (in the transaction that records the step). */
export async function saveSnapshot(tx: Queryable, orderId: string, s: Snapshot): Promise<void> {
  const c = s.cart;
  const checkout = c.checkout;
  const billing = checkout.billing_same_as_shipping || !checkout.billing_address ? checkout.shipping_address : checkout.billing_address;
  // Parsed before it is written: a cart that cannot make a valid order fails here, and nothing is saved.
  const snapshot = OrderSnapshot.parse({
    coupon: c.coupon,
    subtotal: c.totals.subtotal,
    discount: c.totals.discount,
    shipping: c.totals.shipping,
    tax: c.totals.tax,
    total: c.totals.total,
    item_count: c.totals.item_count,
    shipping_method: checkout.shipping_method,
    shipping_address: checkout.shipping_address,
    billing_address: billing,
    estimated_delivery: s.estimatedDelivery,
    preferred_delivery_date: checkout.preferred_delivery_date ?? null,
    delivery_instructions: checkout.delivery_instructions ?? null,
    terms_version: checkout.terms_version ?? null,
    customer: s.customer,
    payment_method_id: s.paymentMethodId,
    save_payment_method_for: s.saveMethodFor,
  });
  const updated = await tx.query('update orders set owner_subject = $2, conversation = $3, currency = $4, snapshot = $5, updated_at = now() where id = $1', [
    orderId,
    c.owner_subject,
    c.conversation,
    c.currency,
    snapshot,
  ]);
  if (updated.rowCount === 0) throw new Error(`order ${orderId} vanished while its snapshot was saved`);
  await tx.query(
    `insert into order_lines (order_id, position, product_id, variant_id, name, brand, size, color, image_url, unit_price, quantity, line_subtotal)
     select $1, l.position, l.product_id, l.variant_id, l.name, l.brand, l.size, l.color, l.image_url, l.unit_price, l.quantity, l.line_subtotal
     from rows from (jsonb_to_recordset($2::jsonb) as (product_id uuid, variant_id uuid, name text, brand text, size text, color text, image_url text, unit_price bigint, quantity int, line_subtotal bigint))
       with ordinality as l(product_id, variant_id, name, brand, size, color, image_url, unit_price, quantity, line_subtotal, position)`,
    [orderId, JSON.stringify(c.lines)],
  );
}

/** The frozen lines as the catalog reserves them. */
export async function orderLines(q: Queryable, orderId: string): Promise<Array<{ variant_id: string; quantity: number }>> {
  const { rows } = await q.query<{ variant_id: string; quantity: number }>('select variant_id, quantity from order_lines where order_id = $1 order by position', [orderId]);
  return rows;
}

/**
 * Moves the saga from one of `from` to `to` with its log entry, in one statement: atomic without a
 * transaction of its own (the runner's transitions are most of an order's queries), and inside the
 * caller's when it writes more with it.
 */
export async function advanceStep(
  q: Queryable,
  orderId: string,
  from: SagaStep[],
  to: SagaStep,
  detail: Record<string, unknown> | null = null,
  payment?: PaymentFacts,
): Promise<OrderRow | null> {
  const { rows } = await q.query<StoredOrderRow>({
    name: 'order_advance_step',
    text: `with moved as (
       update order_sagas set step = $3, updated_at = now() where order_id = $1 and step = any($2::text[])
       returning *
     ), paid as (
       update orders set payment_id = coalesce($4, payment_id), payment_status = coalesce($5, payment_status),
         payment_brand = coalesce($6, payment_brand), payment_last4 = coalesce($7, payment_last4), updated_at = now()
       where id = (select order_id from moved)
       returning *
     ), logged as (
       insert into saga_log (order_id, step, detail) select order_id, $3, $8 from moved
     )
     select paid.*, ${SAGA_COLUMNS('moved')} from paid join moved on moved.order_id = paid.id`,
    values: [orderId, from, to, payment?.id ?? null, payment?.status ?? null, payment?.brand ?? null, payment?.last4 ?? null, detail],
  });
  return orderRow(rows[0]);
}

export interface PaymentFacts {
  id: string;
  status: string;
  brand: string | null;
  last4: string | null;
}

/** The payment as payments reported it (a declined or unfinished one, recorded before compensating). */
export async function recordPayment(q: Queryable, orderId: string, p: PaymentFacts): Promise<void> {
  await q.query('update orders set payment_id = $2, payment_status = $3, payment_brand = $4, payment_last4 = $5, updated_at = now() where id = $1', [orderId, p.id, p.status, p.brand, p.last4]);
}

/** The checkout link the order waits on (in the transaction that records the step). */
export async function recordCheckoutLink(tx: Queryable, orderId: string, link: { id: string; url: string; expiresAt: string; paymentId: string | null }): Promise<void> {
  await tx.query(
    `update orders set checkout_link_id = $2, checkout_url = $3, checkout_expires_at = $4, payment_id = $5, payment_status = 'awaiting_payment', updated_at = now() where id = $1`,
    [orderId, link.id, link.url, link.expiresAt, link.paymentId],
  );
}

/** Recovery asked payments about this order's link payment and found it still open. */
export async function markPaymentChecked(q: Queryable, orderId: string): Promise<void> {
  await q.query(`update orders set payment_checked_at = now() where id = $1 and exists (select 1 from order_sagas where order_id = $1 and step = 'awaiting_payment')`, [orderId]);
}

export interface StatusChange {
  status: OrderStatus;
  actor: Actor;
  reason: string | null;
  /** Saga step to land on, when the change ends a saga. */
  step?: SagaStep;
  refusal?: ErrorBody;
  /** Only when the order is in one of these statuses (the caller checked the transition). */
  fromStatuses: OrderStatus[];
  fromSteps?: SagaStep[];
  paymentStatus?: string;
  tracking?: { carrier: string; number: string; url: string };
  event?: OutgoingEvent;
}

/**
 * Changes the status with its history entry and event, in one transaction the caller owns. The saga
 * row is locked first, so the status and step it checks cannot move until the change commits.
 */
export async function changeStatus(tx: Queryable, orderId: string, c: StatusChange): Promise<boolean> {
  await lockSaga(tx, orderId);
  const res = await tx.query(
    `with saga as (
       select order_id from order_sagas where order_id = $1 and ($11::text[] is null or step = any($11::text[]))
     ), changed as (
       update orders set status = $2, reason = coalesce($3, reason), refusal = coalesce($5, refusal),
         payment_status = coalesce($6, payment_status), tracking_carrier = coalesce($7, tracking_carrier), tracking_number = coalesce($8, tracking_number),
         tracking_url = coalesce($9, tracking_url), updated_at = now()
       where id = (select order_id from saga) and status = any($10::text[])
       returning id
     ), stepped as (
       update order_sagas set step = $4, updated_at = now() where order_id = (select id from changed) and $4::text is not null
     )
     select id from changed`,
    [
      orderId,
      c.status,
      c.reason,
      c.step ?? null,
      c.refusal ?? null,
      c.paymentStatus ?? null,
      c.tracking?.carrier ?? null,
      c.tracking?.number ?? null,
      c.tracking?.url ?? null,
      c.fromStatuses,
      c.fromSteps ?? null,
    ],
  );
  if (res.rowCount === 0) return false;
  await recordStatus(tx, orderId, c.status, c.actor, c.reason);
  if (c.step) await appendSagaLog(tx, orderId, c.step, { status: c.status, reason: c.reason });
  if (c.event) await publishEvent(tx, c.event);
  return true;
}

/** The order's snapshot, for the steps that run after the cart was validated (a programming error otherwise). */
export function snapshotOf(row: OrderRow): OrderSnapshot {
  if (!row.snapshot) throw new Error(`order ${row.id} has no snapshot yet (saga step ${row.saga_step})`);
  return row.snapshot;
}

/** An order row has a shopper-visible form once its cart snapshot is saved. */
export function isVisible(row: OrderRow): boolean {
  return row.saga_step !== 'refused' && row.snapshot !== null;
}

export async function renderOrder(q: Queryable, row: OrderRow): Promise<Order> {
  const [lines, history] = await Promise.all([
    q.query('select product_id, variant_id, name, brand, size, color, image_url, unit_price, quantity, line_subtotal from order_lines where order_id = $1 order by position', [row.id]),
    q.query<{ status: OrderStatus; at: Date; actor: string; reason: string | null }>('select status, at, actor, reason from order_status_history where order_id = $1 order by id', [row.id]),
  ]);
  return Order.parse({
    id: row.id,
    number: row.number,
    status: row.status,
    cart_id: row.cart_id,
    owner_subject: row.owner_subject,
    conversation: row.conversation,
    lines: lines.rows,
    // The snapshot's priced fields; Order.parse drops the payment customer and method, which stay internal.
    ...row.snapshot,
    currency: row.currency,
    payment: { status: row.payment_status, brand: row.payment_brand, last4: row.payment_last4 },
    tracking: row.tracking_number ? { carrier: row.tracking_carrier, number: row.tracking_number, url: row.tracking_url } : null,
    timeline: history.rows.map((h) => ({ status: h.status, at: h.at.toISOString(), actor: h.actor, reason: h.reason })),
    reason: row.reason,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  });
}

export interface SummaryRow {
  id: string;
  number: string;
  status: OrderStatus;
  total: number;
  currency: 'USD';
  item_count: number;
  created_at: Date;
  delivery_earliest: string;
  delivery_latest: string;
  first_item_name: string;
}

/**
 * A shopper's orders, newest first: by owner subject when known, else the conversation's
 * anonymous orders only (the rule ownedBy applies), so a conversation id never lists a subject's.
 */
export async function listOrders(q: Queryable, by: { subject?: string; conversation?: string }, page: number, perPage: number): Promise<{ rows: SummaryRow[]; total: number }> {
  const [column, value] = by.subject ? ['owner_subject', by.subject] : ['conversation', by.conversation];
  const anonymousOnly = by.subject ? '' : ' and owner_subject is null';
  const where = `${column} = $1${anonymousOnly} and snapshot is not null and saga_step <> 'refused'`;
  const [items, count] = await Promise.all([
    q.query<SummaryRow>(
      `select o.id, o.number, o.status, (o.snapshot->>'total')::bigint as total, o.currency, (o.snapshot->>'item_count')::int as item_count, o.created_at,
         o.snapshot->'estimated_delivery'->>'earliest' as delivery_earliest, o.snapshot->'estimated_delivery'->>'latest' as delivery_latest,
         (select name from order_lines l where l.order_id = o.id order by position limit 1) as first_item_name
       from orders_with_saga o where ${where} order by created_at desc, number desc limit $2 offset $3`,
      [value, perPage, (page - 1) * perPage],
    ),
    q.query<{ n: number }>(`select count(*)::int as n from orders_with_saga where ${where}`, [value]),
  ]);
  return { rows: items.rows, total: count.rows[0].n };
}

/**
 * Sagas to look at. An order awaiting its link's payment is listed only once the link expired or it
 * was not checked for checkMs, so open links never crowd other sagas out of the batch.
 */
export async function unfinishedSagas(q: Queryable, limit: number, checkMs: number): Promise<Array<{ id: string; saga_step: SagaStep; age_ms: number; external_payment: boolean }>> {
  const { rows } = await q.query<{ id: string; saga_step: SagaStep; age_ms: number; external_payment: boolean }>(
    `select s.order_id as id, s.step as saga_step, o.external_payment, (extract(epoch from now() - s.updated_at) * 1000)::bigint as age_ms
     from order_sagas s join orders o on o.id = s.order_id
     where s.step not in ('confirmed', 'failed', 'refused')
       and (s.step <> 'awaiting_payment' or o.checkout_expires_at <= now()
            or coalesce(o.payment_checked_at, s.updated_at) <= now() - make_interval(secs => $2::double precision / 1000))
     order by s.updated_at limit $1`,
    [limit, checkMs],
  );
  return rows;
}
