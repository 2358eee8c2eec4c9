import { startPeriodic, type Logger, type Periodic } from '@shop/kit';
import type { StaleIntents } from '../app/stale-intents.js';

/** Finishes provider calls whose answer was never recorded (PAYMENTS_INTENT_STALE_MS), by asking again with the same key. */
export function startIntentSweep(staleIntents: StaleIntents, everyMs: number, logger: Logger): Periodic {
  return startPeriodic('payments_finish_intents', everyMs, () => staleIntents.finish(), { logger });
}
