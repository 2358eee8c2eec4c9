import type pg from 'pg';
import type { ErrorBody, OrderStatus } from '@shop/contracts';
import { isOrderNumber } from '../domain/order-number.js';
import { lockSaga } from './orders.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** cancel: cancel_order of a confirmed order; return: refund_order of a shipped/delivered one; payment: a refund payments made itself. */
export type RefundKind = 'cancel' | 'return' | 'payment';

/**
 * Money going back on an order, recorded (and committed) before payments or the catalog is asked,
 * finished in a new transaction: no order row stays locked during a remote call.
 */
export interface RefundIntentRow {
  id: string;
  order_id: string;
  kind: RefundKind;
  status: 'pending' | 'done' | 'failed';
  idempotency_key: string | null;
  actor: 'shopper' | 'system' | 'fulfilment';
  reason: string;
  from_status: OrderStatus;
  amount: number | null;
  error: ErrorBody | null;
  attempt_at: Date;
  created_at: Date;
  completed_at: Date | null;
}

/** Locks the order by uuid or ORD- number, its saga row first (db/orders.ts lockSaga); its id, or null when there is none. */
export async function lockOrder(tx: Queryable, ref: string): Promise<string | null> {
  const id = isOrderNumber(ref) ? (await tx.query<{ id: string }>('select id from orders where number = $1', [ref])).rows[0]?.id : ref;
  if (!id || !(await lockSaga(tx, id))) return null;
  await tx.query('select 1 from orders where id = $1 for update', [id]);
  return id;
}

export async function pendingIntent(q: Queryable, orderId: string): Promise<RefundIntentRow | null> {
  const { rows } = await q.query<RefundIntentRow>(`select * from order_refunds where order_id = $1 and status = 'pending'`, [orderId]);
  return rows[0] ?? null;
}

/** Records the intent under the order's row lock; the partial unique index keeps one pending per order. */
export async function insertIntent(
  tx: Queryable,
  i: { id: string; orderId: string; kind: RefundKind; actor: RefundIntentRow['actor']; reason: string; fromStatus: OrderStatus; idempotencyKey: string | null; amount?: number },
): Promise<RefundIntentRow> {
  const { rows } = await tx.query<RefundIntentRow>(
    `insert into order_refunds (id, order_id, kind, status, idempotency_key, actor, reason, from_status, amount)
     values ($1, $2, $3, 'pending', $4, $5, $6, $7, $8) returning *`,
    [i.id, i.orderId, i.kind, i.idempotencyKey, i.actor, i.reason, i.fromStatus, i.amount ?? null],
  );
  return rows[0];
}

/** Takes over a pending intent nobody is working on (its attempt is older than staleBefore); null otherwise. */
export async function claimIntent(q: Queryable, id: string, staleBefore: Date): Promise<RefundIntentRow | null> {
  const { rows } = await q.query<RefundIntentRow>(
    `update order_refunds set attempt_at = now() where id = $1 and status = 'pending' and attempt_at < $2 returning *`,
    [id, staleBefore],
  );
  return rows[0] ?? null;
}

/** A retryable failure: the next request, or the sweep, may take it over at once. */
export async function releaseIntent(q: Queryable, id: string): Promise<void> {
  await q.query(`update order_refunds set attempt_at = '-infinity' where id = $1 and status = 'pending'`, [id]);
}

/** Ends an intent once; false when it had already ended. */
export async function endIntent(q: Queryable, id: string, end: { status: 'done' | 'failed'; amount?: number; error?: ErrorBody }): Promise<boolean> {
  const res = await q.query(
    `update order_refunds set status = $2, amount = coalesce($3, amount), error = $4, completed_at = now() where id = $1 and status = 'pending'`,
    [id, end.status, end.amount ?? null, end.error ?? null],
  );
  return res.rowCount === 1;
}

export async function staleIntents(q: Queryable, staleBefore: Date, limit = 50): Promise<RefundIntentRow[]> {
  const { rows } = await q.query<RefundIntentRow>(`select * from order_refunds where status = 'pending' and attempt_at < $1 order by attempt_at limit $2`, [staleBefore, limit]);
  return rows;
}

/** What payments reported as refunded on the order's payment; it only ever grows. */
export async function recordAmountRefunded(q: Queryable, orderId: string, amount: number): Promise<void> {
  await q.query('update orders set amount_refunded = greatest(amount_refunded, $2), updated_at = now() where id = $1', [orderId, amount]);
}

export async function amountRefunded(q: Queryable, orderId: string): Promise<number> {
  const { rows } = await q.query<{ amount_refunded: number }>('select amount_refunded from orders where id = $1', [orderId]);
  return rows[0]?.amount_refunded ?? 0;
}

/** When the order was delivered (the returns window counts from it); null while it has not been. */
export async function deliveredAt(q: Queryable, orderId: string): Promise<Date | null> {
  const { rows } = await q.query<{ at: Date }>(`select at from order_status_history where order_id = $1 and status = 'delivered' order by id desc limit 1`, [orderId]);
  return rows[0]?.at ?? null;
}
