import type pg from 'pg';
import type { NotificationKind } from '../domain/email.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Claims the e-mail for one transition of an order inside the caller's transaction. False when
 * it was already claimed (a duplicate event with another id); a concurrent claimer waits on the
 * key until the first commits, so two consumers never both send.
 */
export async function claimNotification(tx: Queryable, orderId: string, kind: NotificationKind, eventId: string): Promise<boolean> {
  const res = await tx.query('insert into order_notifications (order_id, kind, event_id) values ($1, $2, $3) on conflict do nothing', [orderId, kind, eventId]);
  return res.rowCount === 1;
}
