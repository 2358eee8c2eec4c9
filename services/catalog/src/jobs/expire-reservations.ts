import { startPeriodic, type Logger, type Periodic } from '@shop/kit';
import type { Reservations } from '../app/reservations.js';

const BATCH = 100;

/** Gives the units of overdue reservations back; safe on any number of instances (skip locked). */
export function startReservationExpiry(reservations: Reservations, everyMs: number, logger: Logger): Periodic {
  return startPeriodic(
    'catalog_expire_reservations',
    everyMs,
    async (run) => {
      // Keep going while full batches come back, so a backlog clears in one run.
      while (!run.stopped() && (await reservations.expireDue(BATCH)) === BATCH);
    },
    { logger },
  );
}
