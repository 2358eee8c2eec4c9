import { startPeriodic, type Periodic } from '@shop/kit';
import type { Lifecycle } from '../app/lifecycle.js';
import type { WorkflowContext } from '../app/context.js';

/** Finishes refund intents (cancel, return) a crash left pending, at start and every ORDERS_RECOVERY_MS. */
export function startRefundIntentSweep(ctx: WorkflowContext, lifecycle: Lifecycle): Periodic {
  return startPeriodic('orders_finish_refund_intents', ctx.config.ORDERS_RECOVERY_MS, () => lifecycle.sweepIntents(), { logger: ctx.logger, runAtStart: true });
}
