import { recoveryPlan } from '../domain/saga.js';
import { unfinishedSagas } from '../db/orders.js';
import { stepsFor } from './placement/flows.js';
import type { Placement } from './placement.js';
import type { WorkflowContext } from './context.js';

/**
 * Finds sagas left unfinished (a crash, a timeout) and resumes or compensates each, as its own step
 * list says (recoveryPlan over placement/flows.ts). Runs at start and every ORDERS_RECOVERY_MS; every
 * step it runs moves only from the step it expects, so two instances may overlap.
 */
export class Recovery {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly ctx: WorkflowContext,
    private readonly placement: Placement,
  ) {}

  start(): void {
    this.kick();
    this.timer = setInterval(() => this.kick(), this.ctx.config.ORDERS_RECOVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  kick(): Promise<void> {
    this.running ??= this.sweep().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(): Promise<void> {
    let sagas;
    try {
      sagas = await unfinishedSagas(this.ctx.pool, 100, this.ctx.config.ORDERS_SAGA_GRACE_MS);
    } catch (e) {
      this.ctx.logger.warn({ err: (e as Error).message }, 'recovery could not list sagas');
      return;
    }
    const { runner } = this.placement;
    for (const saga of sagas) {
      if (this.placement.inFlight.has(saga.id)) continue;
      const plan = recoveryPlan(stepsFor(saga), saga.saga_step, saga.age_ms, this.ctx.config.ORDERS_SAGA_GRACE_MS);
      if (plan.do === 'none' || plan.do === 'wait') continue;
      try {
        await this.placement.drive(saga.id, async () => {
          if (plan.do === 'resume') await runner.run(saga.id, { triggered: true });
          else if (plan.do === 'abandon') await runner.abandon(saga.id);
          else await runner.compensate(saga.id, [], 'cancelled', 'Your order was cancelled.');
        });
        this.ctx.logger.info({ order_id: saga.id, step: saga.saga_step, plan }, 'recovered saga');
      } catch (e) {
        this.ctx.logger.warn({ order_id: saga.id, step: saga.saga_step, plan, err: (e as Error).message }, 'saga recovery failed; will retry');
      }
    }
  }
}
