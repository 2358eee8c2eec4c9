import { AppError, type Reservation } from '@shop/contracts';

export type ReservationStatus = Reservation['status'];
/** What orders (and the expiry job) ask of a reservation after it was made. */
export type ReservationAction = 'commit' | 'release' | 'restock' | 'expire' | 'extend';

/**
 * One change of a reservation: its new status, the sign of the change to each variant's `stock`
 * and `reserved` (per reserved unit), the event that records it, and whether the stock must be
 * re-checked first (units given back by an expiry may have been sold since).
 */
export interface Move {
  to: ReservationStatus;
  stock: -1 | 0 | 1;
  reserved: -1 | 0 | 1;
  event: 'reserved' | 'committed' | 'released' | 'expired' | 'restocked';
  checkStock?: true;
}

/** `move`: change as described; `same`: already done (every action is idempotent); `refuse`: not allowed. */
export type Step = { kind: 'move'; move: Move } | { kind: 'same' } | { kind: 'refuse'; message: string };

const same: Step = { kind: 'same' };
const move = (m: Move): Step => ({ kind: 'move', move: m });
const refuse = (message: string): Step => ({ kind: 'refuse', message });

/**
 * Every reservation transition, like orders' order-state.ts: available = stock − reserved, and
 * `reserved` holds the units of active reservations only. An active reservation leaves the
 * warehouse on commit, goes back on release or expiry; a committed one comes back by restock.
 * A commit after expiry still succeeds when the stock is there (the payment already went through).
 */
export const reservationTransitions: Readonly<Record<ReservationAction, Readonly<Record<ReservationStatus, Step>>>> = {
  commit: {
    active: move({ to: 'committed', stock: -1, reserved: -1, event: 'committed' }),
    expired: move({ to: 'committed', stock: -1, reserved: 0, event: 'committed', checkStock: true }),
    committed: same,
    restocked: same,
    released: refuse('This reservation was released and can no longer be committed.'),
  },
  release: {
    active: move({ to: 'released', stock: 0, reserved: -1, event: 'released' }),
    committed: refuse('This reservation was committed; restock it instead.'),
    released: same,
    expired: same,
    restocked: same,
  },
  // Restocking an order that was never committed simply releases what it holds.
  restock: {
    active: move({ to: 'released', stock: 0, reserved: -1, event: 'released' }),
    committed: move({ to: 'restocked', stock: 1, reserved: 0, event: 'restocked' }),
    released: same,
    expired: same,
    restocked: same,
  },
  expire: {
    active: move({ to: 'expired', stock: 0, reserved: -1, event: 'expired' }),
    committed: same,
    released: same,
    expired: same,
    restocked: same,
  },
  // Held longer while its order's charge is in doubt: an active one only moves its expiry; an
  // expired one is taken again if its units were not sold meanwhile.
  extend: {
    active: same,
    expired: move({ to: 'active', stock: 0, reserved: 1, event: 'reserved', checkStock: true }),
    committed: same,
    restocked: refuse('This reservation was restocked and can no longer be held.'),
    released: refuse('This reservation was released and can no longer be held.'),
  },
};

/** The step `action` takes from `status`; a refusal is thrown as INVALID_TRANSITION naming both. */
export function reservationStep(orderId: string, status: ReservationStatus, action: ReservationAction): Extract<Step, { kind: 'move' | 'same' }> {
  const step = reservationTransitions[action][status];
  if (step.kind === 'refuse') throw new AppError('INVALID_TRANSITION', step.message, { order_id: orderId, status });
  return step;
}
