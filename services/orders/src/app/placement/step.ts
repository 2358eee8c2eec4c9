import type pg from 'pg';
import { AppError, paymentsApi, type Payment } from '@shop/contracts';
import type { StepShape } from '../../domain/saga.js';
import type { OrderRow, PaymentFacts } from '../../db/orders.js';
import type { WorkflowContext } from '../context.js';

type Tx = Pick<pg.PoolClient, 'query'>;

/** How a step's invoke ended; the runner persists it. */
export type StepResult =
  /** Done: the runner lands the order on the step's `to`, with the detail, payment and writes, in one transaction. */
  | { kind: 'done'; detail?: Record<string, unknown>; payment?: PaymentFacts; record?: (tx: Tx) => Promise<void> }
  /** Not placed and nothing kept: the steps so far are undone and the placement refused with this error as its answer. */
  | { kind: 'refuse'; error: unknown }
  /** The order fails: compensation undoes the steps so far and ends it with this status and reason. */
  | { kind: 'fail'; outcome: 'payment_failed' | 'cancelled'; reason: string; payment?: PaymentFacts }
  /** Not known yet (a timeout, a link not paid yet): the order stays where it is for a later run. */
  | { kind: 'pending' };

/** What a compensation reports for the order's final payment status and event. */
export interface Undone {
  paymentStatus?: string;
  refundAmount?: number;
}

/** What the trigger of a run hands its steps: the total the shopper confirmed, a payment an event announced (read back from payments). */
export interface StepInput {
  expectedTotal?: number;
  payment?: Payment;
  /** The step's intent was recorded by an earlier run (recovery, a repeat): its remote call may already have happened. */
  resumed?: boolean;
}

/**
 * One step of a placement: it runs from saga step `from` and lands on `to` (see StepShape for
 * `intent` and `recovery`); `compensate` undoes it and must be idempotent and safe when the step
 * did nothing (compensation and recovery call it without knowing how far invoke got).
 */
export interface PlacementStep extends StepShape {
  /** The runner stops before this step: it runs when an event or recovery triggers it. */
  awaits?: boolean;
  invoke(ctx: WorkflowContext, order: OrderRow, input: StepInput): Promise<StepResult>;
  compensate?(ctx: WorkflowContext, order: OrderRow): Promise<Undone | void>;
}

export function paymentFacts(p: Payment): PaymentFacts {
  return { id: p.id, status: p.status, brand: p.payment_method.brand, last4: p.payment_method.last4 };
}

/** The order's payment as payments has it, or null when it never had one. */
export async function paymentOf(ctx: WorkflowContext, orderId: string): Promise<Payment | null> {
  return ctx.bus.call(paymentsApi.getByOrder, { order_id: orderId }).catch((e) => {
    if (e instanceof AppError && e.code === 'PAYMENT_NOT_FOUND') return null;
    throw e;
  });
}
