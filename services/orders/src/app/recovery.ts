import { recoveryPlan } from '../domain/saga.js';
import { unfinishedSagas } from '../db/orders.js';
import { stepsFor } from './placement/flows.js';
import type { Placement } from './placement.js';
import type { WorkflowContext } from './context.js';

/**
 * Finds sagas left unfinished (a crash, a timeout) and resumes or compensates each, as its own step
 * list says (recoveryPlan over placement/flows.ts). Every step it runs moves only from the step it
 * expects, so two instances may recover at the same time.
 */
export async function recoverSagas(ctx: WorkflowContext, placement: Placement): Promise<void> {
  const sagas = await unfinishedSagas(ctx.pool, 100, ctx.config.ORDERS_SAGA_GRACE_MS);
  const { runner } = placement;
  for (const saga of sagas) {
    if (placement.inFlight.has(saga.id)) continue;
    const plan = recoveryPlan(stepsFor(saga), saga.saga_step, saga.age_ms, ctx.config.ORDERS_SAGA_GRACE_MS);
    if (plan.do === 'none' || plan.do === 'wait') continue;
    try {
      await placement.drive(saga.id, async () => {
        if (plan.do === 'resume') await runner.run(saga.id, { triggered: true });
        else if (plan.do === 'abandon') await runner.abandon(saga.id, saga.saga_step);
        else await runner.compensate(saga.id, [], 'cancelled', 'Your order was cancelled.');
      });
      ctx.logger.info({ order_id: saga.id, step: saga.saga_step, plan }, 'recovered saga');
    } catch (e) {
      // One saga that cannot move yet does not hold up the others; the next run tries it again.
      ctx.logger.warn({ order_id: saga.id, step: saga.saga_step, plan, err: (e as Error).message }, 'saga recovery failed; will retry');
    }
  }
}
