import { AppError, catalogEvents, type Reservation } from '@shop/contracts';
import { publishEvent, withTransaction, type Pool, type PoolClient } from '@shop/kit';
import { findShortages, mergeLines, outOfStock, type RequestedLine } from '../domain/inventory.js';
import { lockProductsAndVariants } from './locks.js';

type Tx = Pick<PoolClient, 'query'>;
type Status = Reservation['status'];

interface ReservationRow {
  order_id: string;
  status: Status;
  expires_at: Date;
}

async function readReservation(tx: Tx, orderId: string, lock = false): Promise<Reservation | null> {
  const { rows } = await tx.query<ReservationRow>(`select order_id, status, expires_at from reservations where order_id = $1${lock ? ' for update' : ''}`, [orderId]);
  if (!rows[0]) return null;
  const lines = await tx.query<RequestedLine>('select variant_id, quantity from reservation_lines where order_id = $1 order by variant_id', [orderId]);
  return { order_id: rows[0].order_id, status: rows[0].status, expires_at: rows[0].expires_at.toISOString(), lines: lines.rows };
}

/** Applies per-variant deltas to stock and reserved in one statement (rows already locked). */
async function adjust(tx: Tx, lines: RequestedLine[], stockSign: -1 | 0 | 1, reservedSign: -1 | 0 | 1): Promise<void> {
  await tx.query(
    `update variants v set stock = v.stock + $2 * x.quantity, reserved = v.reserved + $3 * x.quantity, updated_at = now()
     from unnest($1::uuid[], $4::int[]) as x(variant_id, quantity) where v.id = x.variant_id`,
    [lines.map((l) => l.variant_id), stockSign, reservedSign, lines.map((l) => l.quantity)],
  );
}

async function setStatus(tx: Tx, orderId: string, status: Status): Promise<void> {
  await tx.query('update reservations set status = $2, updated_at = now() where order_id = $1', [orderId, status]);
}

const notFound = (orderId: string) => new AppError('RESERVATION_NOT_FOUND', 'There is no stock reservation for that order.', { order_id: orderId });

/**
 * Stock reservations for orders. available = stock − reserved, where reserved is the sum of active
 * reservations, kept on the variant row in the same transaction as the reservation itself.
 */
export class InventoryStore {
  constructor(
    private readonly pool: Pool,
    /** Called after a commit that wrote events, so the outbox relay publishes them promptly. */
    private readonly eventsWritten: () => void,
  ) {}

  private async write<T>(fn: (tx: PoolClient) => Promise<T>): Promise<T> {
    const result = await withTransaction(this.pool, fn);
    this.eventsWritten();
    return result;
  }

  /** All lines or none. Reserving again for the same order returns the existing reservation. */
  async reserve(orderId: string, requested: RequestedLine[], ttlSeconds: number): Promise<Reservation> {
    return this.write(async (tx) => {
      const inserted = await tx.query(
        `insert into reservations (order_id, status, expires_at) values ($1, 'active', now() + make_interval(secs => $2))
         on conflict (order_id) do nothing`,
        [orderId, ttlSeconds],
      );
      // A concurrent or earlier reserve for the same order: the insert waited for it, so it is visible now.
      if (inserted.rowCount === 0) return (await readReservation(tx, orderId))!;
      const lines = mergeLines(requested);
      const locked = await lockProductsAndVariants(
        tx,
        lines.map((l) => l.variant_id),
      );
      const missing = lines.filter((l) => !locked.get(l.variant_id)?.active).map((l) => l.variant_id);
      if (missing.length) throw new AppError('VARIANT_NOT_FOUND', 'Some items are no longer sold.', { variant_ids: missing });
      const short = findShortages(lines, locked);
      if (short.length) throw outOfStock(short);
      await tx.query(
        'insert into reservation_lines (order_id, variant_id, quantity) select $1, * from unnest($2::uuid[], $3::int[])',
        [orderId, lines.map((l) => l.variant_id), lines.map((l) => l.quantity)],
      );
      await adjust(tx, lines, 0, 1);
      const reservation = (await readReservation(tx, orderId))!;
      await publishEvent(tx, { subject: catalogEvents.reserved, data: { order_id: orderId, lines: reservation.lines, expires_at: reservation.expires_at } });
      return reservation;
    });
  }

  async get(orderId: string): Promise<Reservation> {
    const r = await readReservation(this.pool, orderId);
    if (!r) throw notFound(orderId);
    return r;
  }

  /**
   * Stock leaves the warehouse: stock and reserved both drop. Idempotent. A reservation that expired
   * meanwhile is committed only if the stock is still there (the payment already went through).
   */
  async commit(orderId: string): Promise<Reservation> {
    return this.write(async (tx) => {
      const r = await readReservation(tx, orderId, true);
      if (!r) throw notFound(orderId);
      if (r.status === 'committed' || r.status === 'restocked') return r;
      if (r.status === 'released') throw new AppError('INVALID_TRANSITION', 'This reservation was released and can no longer be committed.', { order_id: orderId, status: r.status });
      const locked = await lockProductsAndVariants(
        tx,
        r.lines.map((l) => l.variant_id),
      );
      if (r.status === 'expired') {
        const short = findShortages(r.lines, locked);
        if (short.length) throw outOfStock(short);
        await adjust(tx, r.lines, -1, 0);
      } else {
        await adjust(tx, r.lines, -1, -1);
      }
      await setStatus(tx, orderId, 'committed');
      await publishEvent(tx, { subject: catalogEvents.committed, data: { order_id: orderId, lines: r.lines } });
      return { ...r, status: 'committed' };
    });
  }

  /** Gives reserved units back. Idempotent; a committed reservation needs restock instead. */
  async release(orderId: string): Promise<Reservation> {
    return this.write(async (tx) => {
      const r = await readReservation(tx, orderId, true);
      if (!r) throw notFound(orderId);
      if (r.status === 'committed') throw new AppError('INVALID_TRANSITION', 'This reservation was committed; restock it instead.', { order_id: orderId, status: r.status });
      if (r.status !== 'active') return r;
      return this.releaseActive(tx, r, 'released');
    });
  }

  /** Puts committed stock back (order cancelled after commit); an active reservation is simply released. */
  async restock(orderId: string): Promise<Reservation> {
    return this.write(async (tx) => {
      const r = await readReservation(tx, orderId, true);
      if (!r) throw notFound(orderId);
      if (r.status === 'active') return this.releaseActive(tx, r, 'released');
      if (r.status !== 'committed') return r;
      await lockProductsAndVariants(
        tx,
        r.lines.map((l) => l.variant_id),
      );
      await adjust(tx, r.lines, 1, 0);
      await setStatus(tx, orderId, 'restocked');
      await publishEvent(tx, { subject: catalogEvents.restocked, data: { order_id: orderId, lines: r.lines } });
      return { ...r, status: 'restocked' };
    });
  }

  private async releaseActive(tx: Tx, r: Reservation, status: 'released' | 'expired'): Promise<Reservation> {
    await lockProductsAndVariants(
      tx,
      r.lines.map((l) => l.variant_id),
    );
    await adjust(tx, r.lines, 0, -1);
    await setStatus(tx, r.order_id, status);
    await publishEvent(tx, { subject: status === 'released' ? catalogEvents.released : catalogEvents.expired, data: { order_id: r.order_id, lines: r.lines } });
    return { ...r, status };
  }

  /** Expires active reservations past their time, a batch at a time; returns how many expired. */
  async expireDue(batch = 100): Promise<number> {
    const expired = await withTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<{ order_id: string }>(
        `select order_id from reservations where status = 'active' and expires_at <= now()
         order by expires_at limit $1 for update skip locked`,
        [batch],
      );
      if (!rows.length) return 0;
      // Lock every affected variant up front, in the global order, before releasing any of them.
      const ids = await tx.query<{ variant_id: string }>('select distinct variant_id from reservation_lines where order_id = any($1::uuid[])', [rows.map((r) => r.order_id)]);
      await lockProductsAndVariants(
        tx,
        ids.rows.map((r) => r.variant_id),
      );
      for (const { order_id } of rows) {
        const r = (await readReservation(tx, order_id))!;
        await this.releaseActive(tx, r, 'expired');
      }
      return rows.length;
    });
    // Most sweeps find nothing; only wake the relay when events were written.
    if (expired) this.eventsWritten();
    return expired;
  }
}
