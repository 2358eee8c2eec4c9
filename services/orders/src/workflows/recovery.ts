import { recoveryAction } from '../domain/saga.js';
import { unfinishedSagas } from '../db/orders.js';
import type { Placement } from './placement.js';
import type { WorkflowContext } from './context.js';

/**
 * Finds sagas left unfinished (a crash, a timeout) and resumes or compensates each. Runs at start
 * and every ORDERS_RECOVERY_MS; every step it calls is idempotent, so two instances may overlap.
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
    for (const saga of sagas) {
      if (this.placement.inFlight.has(saga.id)) continue;
      const action = recoveryAction(saga.saga_step, saga.age_ms, this.ctx.config.ORDERS_SAGA_GRACE_MS);
      if (action === 'none' || action === 'wait') continue;
      try {
        await this.placement.drive(saga.id, async () => {
          if (action === 'confirm') await this.placement.confirm(saga.id);
          else if (action === 'resume_charge') await this.placement.charge(saga.id);
          else if (action === 'check_payment') await this.placement.checkLinkPayment(saga.id);
          else if (saga.saga_step === 'compensating') await this.placement.compensate(saga.id, [], 'cancelled', 'Your order was cancelled.');
          else await this.placement.abandon(saga.id);
        });
        this.ctx.logger.info({ order_id: saga.id, step: saga.saga_step, action }, 'recovered saga');
      } catch (e) {
        this.ctx.logger.warn({ order_id: saga.id, step: saga.saga_step, action, err: (e as Error).message }, 'saga recovery failed; will retry');
      }
    }
  }
}
