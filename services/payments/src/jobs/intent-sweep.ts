import { startPeriodic, type Logger, type Periodic } from '@shop/kit';
import type { PaymentsApp } from '../app/payments.js';

/** Finishes provider calls whose answer was never recorded (PAYMENTS_INTENT_STALE_MS), by asking again with the same key. */
export function startIntentSweep(app: PaymentsApp, everyMs: number, logger: Logger): Periodic {
  return startPeriodic('payments_finish_intents', everyMs, () => app.sweepIntents(), { logger });
}
