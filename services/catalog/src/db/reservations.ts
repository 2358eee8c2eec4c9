import type { Reservation } from '@shop/contracts';
import type { PoolClient } from '@shop/kit';
import type { RequestedLine } from '../domain/inventory.js';
import type { ReservationStatus } from '../domain/reservation-state.js';

type Tx = Pick<PoolClient, 'query'>;

interface ReservationRow {
  order_id: string;
  status: ReservationStatus;
  expires_at: Date;
}

export async function readReservation(tx: Tx, orderId: string, lock = false): Promise<Reservation | null> {
  const { rows } = await tx.query<ReservationRow>(`select order_id, status, expires_at from reservations where order_id = $1${lock ? ' for update' : ''}`, [orderId]);
  if (!rows[0]) return null;
  const lines = await tx.query<RequestedLine>('select variant_id, quantity from reservation_lines where order_id = $1 order by variant_id', [orderId]);
  return { order_id: rows[0].order_id, status: rows[0].status, expires_at: rows[0].expires_at.toISOString(), lines: lines.rows };
}

/** The reservation row of a new order and when it expires; null when the order already has one (a repeated or concurrent reserve). */
export async function insertReservation(tx: Tx, orderId: string, ttlSeconds: number): Promise<{ expires_at: Date } | null> {
  const { rows } = await tx.query<{ expires_at: Date }>(
    `insert into reservations (order_id, status, expires_at) values ($1, 'active', now() + make_interval(secs => $2))
     on conflict (order_id) do nothing returning expires_at`,
    [orderId, ttlSeconds],
  );
  return rows[0] ?? null;
}

export async function insertReservationLines(tx: Tx, orderId: string, lines: RequestedLine[]): Promise<void> {
  await tx.query('insert into reservation_lines (order_id, variant_id, quantity) select $1, * from unnest($2::uuid[], $3::int[])', [
    orderId,
    lines.map((l) => l.variant_id),
    lines.map((l) => l.quantity),
  ]);
}

/** Applies per-variant deltas to stock and reserved in one statement (rows already locked). */
export async function adjustStock(tx: Tx, lines: RequestedLine[], stockSign: -1 | 0 | 1, reservedSign: -1 | 0 | 1): Promise<void> {
  await tx.query(
    `update variants v set stock = v.stock + $2 * x.quantity, reserved = v.reserved + $3 * x.quantity, updated_at = now()
     from unnest($1::uuid[], $4::int[]) as x(variant_id, quantity) where v.id = x.variant_id`,
    [lines.map((l) => l.variant_id), stockSign, reservedSign, lines.map((l) => l.quantity)],
  );
}

/** Moves the expiry to now + ttlSeconds unless it is later already; the expiry it now has. */
export async function holdUntilAtLeast(tx: Tx, orderId: string, ttlSeconds: number): Promise<Date> {
  const { rows } = await tx.query<{ expires_at: Date }>(
    `update reservations set expires_at = greatest(expires_at, now() + make_interval(secs => $2)), updated_at = now() where order_id = $1 returning expires_at`,
    [orderId, ttlSeconds],
  );
  return rows[0].expires_at;
}

export async function setReservationStatus(tx: Tx, orderId: string, status: ReservationStatus): Promise<void> {
  await tx.query('update reservations set status = $2, updated_at = now() where order_id = $1', [orderId, status]);
}

/** Active reservations past their time, oldest first, locked and skipped by concurrent sweeps. */
export async function lockDueForExpiry(tx: Tx, batch: number): Promise<string[]> {
  const { rows } = await tx.query<{ order_id: string }>(
    `select order_id from reservations where status = 'active' and expires_at <= now()
     order by expires_at limit $1 for update skip locked`,
    [batch],
  );
  return rows.map((r) => r.order_id);
}

export async function variantsOfReservations(tx: Tx, orderIds: string[]): Promise<string[]> {
  const { rows } = await tx.query<{ variant_id: string }>('select distinct variant_id from reservation_lines where order_id = any($1::uuid[])', [orderIds]);
  return rows.map((r) => r.variant_id);
}
