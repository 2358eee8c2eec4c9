import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { AppError, paymentEvents, type PaymentEventData, type PaymentStatus, type PaymentSubject } from '@shop/contracts';
import { publishEvent, type Logger, type OutboxRelay } from '@shop/kit';
import { assertTransition } from '../domain/payment-state.js';
import type { PaymentProvider, ProviderPayment } from '../domain/provider.js';
import * as q from '../db/queries.js';

/**
 * What the payments use cases share. No provider call happens inside a database transaction: each
 * records its intent, commits, asks the provider with an idempotency key, and records the answer and
 * its event in a new transaction (then kicks the relay).
 */
export interface PaymentsContext {
  pool: pg.Pool;
  provider: PaymentProvider;
  relay: Pick<OutboxRelay, 'kick'>;
  logger: Logger;
  calls: ProviderCalls;
}

/**
 * The provider calls of claimed intents (payment operations, refunds) this process is making right
 * now, and the age after which a claimed intent counts as abandoned.
 */
export class ProviderCalls {
  private readonly inFlight = new Set<string>();

  /** @param staleMs a provider call not recorded this long after it was claimed is finished by the sweep (or a retry). */
  constructor(private readonly staleMs: number) {}

  /** Intents claimed before this are abandoned (their caller crashed or gave up): anyone may finish them. */
  staleBefore(): Date {
    return new Date(Date.now() - this.staleMs);
  }

  /** Marks a provider call as under way in this process, so the sweep leaves it alone. */
  async track<T>(id: string, fn: () => Promise<T>): Promise<T> {
    this.inFlight.add(id);
    try {
      return await fn();
    } finally {
      this.inFlight.delete(id);
    }
  }

  isInFlight(id: string): boolean {
    return this.inFlight.has(id);
  }
}

/** How long a duplicate request waits for the first one's provider call (orders asks with a 15 s timeout). */
export const DUPLICATE_WAIT_MS = 8_000;
export const POLL_MS = 50;

/**
 * Waits, holding no connection, for another request's provider call to be recorded: `recorded`
 * answers the result once it is there. UNAVAILABLE after DUPLICATE_WAIT_MS.
 */
export async function awaitOtherCall<T>(recorded: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DUPLICATE_WAIT_MS;
  for (;;) {
    const result = await recorded();
    if (result) return result;
    if (Date.now() > deadline) throw stillProcessing();
    await sleep(POLL_MS);
  }
}

export function stillProcessing(): AppError {
  return new AppError('UNAVAILABLE', 'This payment is still being processed. Please try again in a moment.');
}

/** A provider failure after which the call's outcome is unknown, or it may succeed if asked again. */
export function isRetryable(e: unknown): boolean {
  return !(e instanceof AppError) || e.code === 'UNAVAILABLE' || e.code === 'TIMEOUT';
}

export function paymentNotFound(paymentId: string): AppError {
  return new AppError('PAYMENT_NOT_FOUND', 'No payment with that id.', { payment_id: paymentId });
}

/** The payment's row, locked for this transaction; PAYMENT_NOT_FOUND if there is none. */
export async function lockPayment(tx: pg.PoolClient, paymentId: string): Promise<q.PaymentRow> {
  const row = await q.lockPayment(tx, paymentId);
  if (!row) throw paymentNotFound(paymentId);
  return row;
}

/** A provider report with nothing charged and no method: the base for changes recorded without one (link payments, a void with nothing at the provider). */
export const unpaid: Omit<ProviderPayment, 'providerRef' | 'status'> = {
  amountCaptured: 0,
  method: { id: null, brand: null, last4: null },
  failureCode: null,
  failureMessage: null,
  nextActionUrl: null,
};

export async function emitPaymentEvent(tx: pg.PoolClient, subject: PaymentSubject, row: q.PaymentRow, refund?: { id: string; amount: number }): Promise<void> {
  const data: PaymentEventData = {
    payment_id: row.id,
    order_id: row.order_id,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    amount_captured: row.amount_captured,
    amount_refunded: row.amount_refunded,
    failure_code: row.failure_code,
    failure_message: row.failure_message,
    ...(refund ? { refund } : {}),
  };
  await publishEvent(tx, { subject, data });
}

const eventFor: Partial<Record<PaymentStatus, PaymentSubject>> = {
  authorized: paymentEvents.authorized,
  captured: paymentEvents.captured,
  failed: paymentEvents.failed,
  voided: paymentEvents.voided,
};

/** Stores a provider's report on a payment (an answer to our call, or a webhook), after the transition table allows it, and emits its event. */
export async function applyProviderReport(tx: pg.PoolClient, row: q.PaymentRow, report: ProviderPayment): Promise<q.PaymentRow> {
  if (report.status === row.status) return q.applyProviderPayment(tx, row.id, report, row.status);
  assertTransition(row.status, report.status, 'provider');
  const updated = await q.applyProviderPayment(tx, row.id, report, report.status);
  const subject = eventFor[report.status];
  if (subject) await emitPaymentEvent(tx, subject, updated);
  await saveMethodIfAsked(tx, updated);
  return updated;
}

/**
 * A payment that succeeded (authorised or captured, also after authentication through a webhook)
 * saves its method for the account it was asked for, in the same transaction; saving twice keeps one.
 */
async function saveMethodIfAsked(tx: pg.PoolClient, row: q.PaymentRow): Promise<void> {
  if (row.status !== 'authorized' && row.status !== 'captured') return;
  if (!row.save_for_customer || !row.payment_method_id || !row.payment_method_brand || !row.payment_method_last4) return;
  await q.lockAccount(tx, row.save_for_customer, 'methods');
  await q.saveMethod(tx, { accountId: row.save_for_customer, paymentMethodId: row.payment_method_id, brand: row.payment_method_brand, last4: row.payment_method_last4 });
}
