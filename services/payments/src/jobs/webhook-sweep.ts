import { startPeriodic, type Logger, type Periodic } from '@shop/kit';
import type { PaymentsApp } from '../app/payments.js';

/** Retries webhook events recorded at least a period ago but not processed (a crash, or a failed attempt). */
export function startWebhookSweep(app: PaymentsApp, everyMs: number, logger: Logger): Periodic {
  return startPeriodic('payments_sweep_webhook_events', everyMs, () => app.sweepWebhookEvents(everyMs), { logger });
}
