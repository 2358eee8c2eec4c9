import { startPeriodic, type Logger, type Periodic } from '@shop/kit';
import type { Webhooks } from '../app/webhooks.js';

/** Retries webhook events recorded at least a period ago but not processed (a crash, or a failed attempt). */
export function startWebhookSweep(webhooks: Webhooks, everyMs: number, logger: Logger): Periodic {
  return startPeriodic('payments_sweep_webhook_events', everyMs, () => webhooks.retryUnprocessed(everyMs), { logger });
}
