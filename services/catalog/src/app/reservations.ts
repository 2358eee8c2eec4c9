import { AppError, catalogEvents, type Reservation } from '@shop/contracts';
import { publishEvent, withTransaction, type Pool, type PoolClient } from '@shop/kit';
import { findShortages, mergeLines, outOfStock, type RequestedLine } from '../domain/inventory.js';
import { reservationStep, type ReservationAction } from '../domain/reservation-state.js';
import { lockProductsAndVariants } from '../db/locks.js';
import {
  adjustStock,
  holdUntilAtLeast,
  insertReservation,
  insertReservationLines,
  lockDueForExpiry,
  readReservation,
  setReservationStatus,
  variantsOfReservations,
} from '../db/reservations.js';

const notFound = (orderId: string) => new AppError('RESERVATION_NOT_FOUND', 'There is no stock reservation for that order.', { order_id: orderId });

/**
 * Stock reservations for orders. available = stock − reserved, where reserved is the sum of active
 * reservations, kept on the variant row in the same transaction as the reservation itself. Every
 * change after the reservation follows domain/reservation-state.ts.
 */
export class Reservations {
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
      // A concurrent or earlier reserve for the same order: the insert waited for it, so it is visible now.
      const inserted = await insertReservation(tx, orderId, ttlSeconds);
      if (!inserted) return (await readReservation(tx, orderId))!;
      const lines = mergeLines(requested);
      const locked = await lockProductsAndVariants(
        tx,
        lines.map((l) => l.variant_id),
      );
      const missing = lines.filter((l) => !locked.get(l.variant_id)?.active).map((l) => l.variant_id);
      if (missing.length) throw new AppError('VARIANT_NOT_FOUND', 'Some items are no longer sold.', { variant_ids: missing });
      const short = findShortages(lines, locked);
      if (short.length) throw outOfStock(short);
      await insertReservationLines(tx, orderId, lines);
      await adjustStock(tx, lines, 0, 1);
      // What readReservation would read back: the merged lines are sorted by id as it orders them.
      const reservation: Reservation = { order_id: orderId, status: 'active', expires_at: inserted.expires_at.toISOString(), lines };
      await publishEvent(tx, { subject: catalogEvents.reserved, data: { order_id: orderId, lines: reservation.lines, expires_at: reservation.expires_at } });
      return reservation;
    });
  }

  async get(orderId: string): Promise<Reservation> {
    const r = await readReservation(this.pool, orderId);
    if (!r) throw notFound(orderId);
    return r;
  }

  /** Stock leaves the warehouse: stock and reserved both drop. Idempotent. */
  commit(orderId: string): Promise<Reservation> {
    return this.change(orderId, 'commit');
  }

  /**
   * Holds the order's stock at least ttlSeconds more (its charge is in doubt, so the order may still
   * be paid): an active reservation's expiry moves, an expired one is taken again if its units are
   * still there. Idempotent; a committed one is answered as it is.
   */
  extend(orderId: string, ttlSeconds: number): Promise<Reservation> {
    return this.write(async (tx) => {
      const held = await this.changeLocked(tx, orderId, 'extend');
      if (held.status !== 'active') return held; // committed: nothing left to hold
      const expiresAt = await holdUntilAtLeast(tx, orderId, ttlSeconds);
      return { ...held, expires_at: expiresAt.toISOString() };
    });
  }

  /** Gives reserved units back. Idempotent; a committed reservation needs restock instead. */
  release(orderId: string): Promise<Reservation> {
    return this.change(orderId, 'release');
  }

  /** Puts committed stock back (order cancelled after commit); an active reservation is simply released. */
  restock(orderId: string): Promise<Reservation> {
    return this.change(orderId, 'restock');
  }

  private change(orderId: string, action: Exclude<ReservationAction, 'expire'>): Promise<Reservation> {
    return this.write((tx) => this.changeLocked(tx, orderId, action));
  }

  /** The order's reservation locked, then one transition of it. */
  private async changeLocked(tx: PoolClient, orderId: string, action: Exclude<ReservationAction, 'expire'>): Promise<Reservation> {
    const r = await readReservation(tx, orderId, true);
    if (!r) throw notFound(orderId);
    return this.apply(tx, r, action);
  }

  /** One transition of a locked reservation: variants locked (the global order), stock checked when needed, counts moved, status set, event written. */
  private async apply(tx: PoolClient, r: Reservation, action: ReservationAction): Promise<Reservation> {
    const step = reservationStep(r.order_id, r.status, action);
    if (step.kind === 'same') return r;
    const { move } = step;
    const locked = await lockProductsAndVariants(
      tx,
      r.lines.map((l) => l.variant_id),
    );
    if (move.checkStock) {
      const short = findShortages(r.lines, locked);
      if (short.length) throw outOfStock(short);
    }
    await adjustStock(tx, r.lines, move.stock, move.reserved);
    await setReservationStatus(tx, r.order_id, move.to);
    await publishEvent(tx, { subject: catalogEvents[move.event], data: { order_id: r.order_id, lines: r.lines } });
    return { ...r, status: move.to };
  }

  /** Expires active reservations past their time, a batch at a time; returns how many expired. */
  async expireDue(batch = 100): Promise<number> {
    const expired = await withTransaction(this.pool, async (tx) => {
      const due = await lockDueForExpiry(tx, batch);
      if (!due.length) return 0;
      // Lock every affected variant up front, in the global order, before releasing any of them.
      await lockProductsAndVariants(tx, await variantsOfReservations(tx, due));
      for (const orderId of due) await this.apply(tx, (await readReservation(tx, orderId))!, 'expire');
      return due.length;
    });
    // Most sweeps find nothing; only wake the relay when events were written.
    if (expired) this.eventsWritten();
    return expired;
  }
}
