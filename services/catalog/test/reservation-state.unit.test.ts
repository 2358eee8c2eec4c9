import { describe, expect, it } from 'vitest';
import { AppError, ReservationStatus } from '@shop/contracts';
import { reservationStep, reservationTransitions, type ReservationAction } from '../src/domain/reservation-state.js';

const statuses = ReservationStatus.options;
const actions = Object.keys(reservationTransitions) as ReservationAction[];

describe('reservation transitions', () => {
  it('says what every action does from every status', () => {
    for (const a of actions) expect(Object.keys(reservationTransitions[a]).sort(), a).toEqual([...statuses].sort());
  });

  it('keeps reserved = units of active reservations: a move out of active lowers it, only extend of an expired one raises it (stock checked)', () => {
    for (const a of actions) {
      for (const s of statuses) {
        const step = reservationTransitions[a][s];
        if (step.kind !== 'move') continue;
        const intoActive = step.move.to === 'active';
        expect(step.move.reserved, `${a} from ${s}`).toBe(s === 'active' ? -1 : intoActive ? 1 : 0);
        if (intoActive) expect([a, s, step.move.checkStock, step.move.stock]).toEqual(['extend', 'expired', true, 0]);
      }
    }
  });

  it('moves stock only when units leave the warehouse (commit) or come back (restock of a committed order)', () => {
    expect(reservationTransitions.commit.active).toMatchObject({ move: { to: 'committed', stock: -1, event: 'committed' } });
    expect(reservationTransitions.commit.expired).toMatchObject({ move: { to: 'committed', stock: -1, reserved: 0, checkStock: true } });
    expect(reservationTransitions.restock.committed).toMatchObject({ move: { to: 'restocked', stock: 1, reserved: 0, event: 'restocked' } });
    for (const a of ['release', 'expire'] as const) for (const s of statuses) {
      const step = reservationTransitions[a][s];
      if (step.kind === 'move') expect(step.move.stock, `${a} from ${s}`).toBe(0);
    }
  });

  it('is idempotent: an action repeated from where it led changes nothing', () => {
    for (const a of actions) {
      for (const s of statuses) {
        const step = reservationTransitions[a][s];
        if (step.kind === 'move' && step.move.to !== 'released') expect(reservationTransitions[a][step.move.to].kind, `${a} twice from ${s}`).toBe('same');
      }
    }
    // restock of an active reservation releases it; restocking again is then a no-op.
    expect(reservationTransitions.restock.released.kind).toBe('same');
  });

  it('refuses committing a released reservation and releasing a committed one, naming the order and the status', () => {
    const refusal = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as AppError;
      }
      throw new Error('expected a refusal');
    };
    const a = refusal(() => reservationStep('o-1', 'released', 'commit'));
    expect([a.code, a.message, a.details]).toEqual(['INVALID_TRANSITION', 'This reservation was released and can no longer be committed.', { order_id: 'o-1', status: 'released' }]);
    const b = refusal(() => reservationStep('o-2', 'committed', 'release'));
    expect([b.code, b.message]).toEqual(['INVALID_TRANSITION', 'This reservation was committed; restock it instead.']);
    expect(reservationStep('o-3', 'committed', 'commit').kind).toBe('same');
  });
});
