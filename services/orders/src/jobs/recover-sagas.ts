import { startPeriodic, type Periodic } from '@shop/kit';
import { recoverSagas } from '../app/recovery.js';
import type { Placement } from '../app/placement.js';
import type { WorkflowContext } from '../app/context.js';

/** Resumes or compensates unfinished sagas at start and every ORDERS_RECOVERY_MS. */
export function startSagaRecovery(ctx: WorkflowContext, placement: Placement): Periodic {
  return startPeriodic('orders_recover_sagas', ctx.config.ORDERS_RECOVERY_MS, () => recoverSagas(ctx, placement), { logger: ctx.logger, runAtStart: true });
}
