import { AppError, OrderCancelledEvent, orderEvents } from '@shop/contracts';
import { withTransaction } from '@shop/kit';
import type { Actor } from '../../domain/order-state.js';
import { interruptedReason, stepAt, type SagaStep } from '../../domain/saga.js';
import { advanceStep, changeStatus, findById, recordPayment, startCompensation, type OrderRow } from '../../db/orders.js';
import type { WorkflowContext } from '../context.js';
import { stepsFor } from './flows.js';
import type { StepInput, Undone } from './step.js';

/**
 * Walks an order's step list (flows.ts). Each step's result is persisted before the next starts,
 * in a transaction of its own that holds no remote call; a step that moves money commits its intent
 * first. Every transition moves only from the step it expects, so two runners (two instances, or a
 * request and recovery) never both advance an order: the one that loses the transition stops.
 */
export class SagaRunner {
  constructor(private readonly ctx: WorkflowContext) {}

  /**
   * Runs the order's steps from where it is until it finishes, fails, waits for something outside
   * (a step that awaits: pass `triggered` to run it once), or loses a transition to another runner.
   */
  async run(orderId: string, opts: { input?: StepInput; triggered?: boolean } = {}): Promise<void> {
    const { pool } = this.ctx;
    let triggered = opts.triggered ?? false;
    const input = opts.input ?? {};
    // The row the last transition returned, so the next step starts without reading it again.
    let known: OrderRow | null = null;
    for (;;) {
      const order: OrderRow = known ?? (await findById(pool, orderId))!;
      known = null;
      const steps = stepsFor(order);
      const step = stepAt(steps, order.saga_step);
      if (!step || (step.awaits && !triggered)) return;
      triggered = false;
      const resumed = Boolean(step.intent) && order.saga_step === step.intent;
      if (step.intent && order.saga_step === step.from) {
        if (!(await advanceStep(pool, orderId, [step.from], step.intent))) return;
        order.saga_step = step.intent;
      }
      const result = await step.invoke(this.ctx, order, resumed ? { ...input, resumed } : input);
      if (result.kind === 'pending') return;
      if (result.kind === 'refuse') return this.refuse(order, result.error);
      if (result.kind === 'fail') {
        if (result.payment) await recordPayment(pool, orderId, result.payment);
        await this.compensate(orderId, [order.saga_step], result.outcome, result.reason);
        return;
      }
      const { record } = result;
      const moved: OrderRow | 'recorded' | null = record
        ? await withTransaction(pool, async (tx) => {
            if (!(await advanceStep(tx, orderId, [order.saga_step], step.to, result.detail ?? null, result.payment))) return null;
            await record(tx);
            return 'recorded' as const;
          })
        : await advanceStep(pool, orderId, [order.saga_step], step.to, result.detail ?? null, result.payment);
      if (!moved) return;
      // Only what a step records writes events (a transition alone does not): the relay is woken for those.
      if (moved === 'recorded') this.ctx.relay.kick();
      this.ctx.afterStep(orderId, step.to);
      // The last step: nothing to read again for.
      if (!stepAt(stepsFor(order), step.to)) return;
      // What the step recorded changed the row after the transition: the next step reads it again.
      known = moved === 'recorded' ? null : moved;
    }
  }

  /**
   * Undoes the steps the order went through (each step's compensate, last first) and ends it
   * payment_failed or cancelled with the shopper's reason and its event. `from`: the steps it may be
   * compensated from (none: it is already compensating, as recovery finds it).
   */
  async compensate(orderId: string, from: SagaStep[], outcome: 'payment_failed' | 'cancelled', reason: string, actor: Actor = 'system'): Promise<void> {
    const { pool } = this.ctx;
    if (from.length && !(await withTransaction(pool, (tx) => startCompensation(tx, orderId, from, outcome, reason)))) {
      // Another runner moved it first; it finishes what it started, unless that is this same compensation.
      if ((await findById(pool, orderId))!.saga_step !== 'compensating') return;
    }
    const row = (await findById(pool, orderId))!;
    if (row.saga_step !== 'compensating') return;
    const undone = await this.undo(row, row.compensate_from);
    // The reason recorded when compensation began wins, so a resumed compensation repeats the same refund request.
    const why = row.reason ?? reason;
    const status = row.compensate_to ?? outcome;
    const data = OrderCancelledEvent.parse({ order_id: orderId, order_number: row.number, cart_id: row.cart_id, reason: why, refund_amount: undone.refundAmount ?? 0, currency: row.currency });
    const done = await withTransaction(pool, (tx) =>
      changeStatus(tx, orderId, {
        status,
        actor,
        reason: why,
        step: 'failed',
        fromStatuses: ['pending'],
        fromSteps: ['compensating'],
        paymentStatus: undone.paymentStatus,
        event: { subject: status === 'payment_failed' ? orderEvents.paymentFailed : orderEvents.cancelled, data },
      }),
    );
    if (done) this.ctx.relay.kick();
  }

  /** A placement that never became an order: what its steps hold is given back, and the refusal kept as the answer for its key. */
  async refuse(order: OrderRow, e: unknown): Promise<void> {
    const err = e instanceof AppError ? e : new AppError('INTERNAL', 'Something went wrong on our side. Please try again.');
    if (err.code === 'INTERNAL') this.ctx.logger.error({ err: e, order_id: order.id }, 'placement failed');
    await this.undo(order, order.saga_step);
    await withTransaction(this.ctx.pool, (tx) =>
      changeStatus(tx, order.id, { status: 'cancelled', actor: 'system', reason: err.message, step: 'refused', refusal: err.toBody(), fromStatuses: ['pending'], fromSteps: [order.saga_step] }),
    );
  }

  /**
   * A saga nobody is running and nothing was paid for: refused when it never got a snapshot, else
   * cancelled with its compensation. `at`: the step recovery found it at and planned for. An order
   * that moved on since (a runner that was only slow finished it) is left alone: recovery's plan for
   * an earlier step says nothing about where it is now.
   */
  async abandon(orderId: string, at: SagaStep): Promise<void> {
    const row = (await findById(this.ctx.pool, orderId))!;
    if (row.saga_step !== at) return;
    if (row.snapshot === null) await this.refuse(row, new AppError('UNAVAILABLE', interruptedReason));
    else await this.compensate(orderId, [at], 'cancelled', interruptedReason);
  }

  /** Compensates the steps up to the one the order was at (all of them when unknown), last first. */
  private async undo(order: OrderRow, at: SagaStep | null): Promise<Undone> {
    const steps = stepsFor(order);
    const current = at ? stepAt(steps, at) : undefined;
    const upTo = current ? steps.indexOf(current) : steps.length - 1;
    const undone: Undone = {};
    for (const step of steps.slice(0, upTo + 1).reverse()) {
      Object.assign(undone, (await step.compensate?.(this.ctx, order)) ?? {});
    }
    return undone;
  }
}
