import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { AppError, paymentEvents, type Refund, type RefundRequest } from '@shop/contracts';
import { withTransaction } from '@shop/kit';
import { assertTransition, refundAmount, statusAfterRefund } from '../domain/payment-state.js';
import type { ProviderRefund } from '../domain/provider.js';
import { asProviderError } from '../domain/provider-errors.js';
import * as q from '../db/queries.js';
import { awaitOtherCall, emitPaymentEvent, isRetryable, lockPayment, type PaymentsContext } from './shared.js';

/** Refunds of captured payments, one per idempotency key, never together more than was captured. */
export class Refunds {
  constructor(private readonly ctx: PaymentsContext) {}

  /**
   * Refunds are serialised by a lock on the payment row while the intent is written: its amount counts
   * against what remains refundable until it settles, so concurrent refunds never together exceed the
   * captured amount. The provider is asked after that commits, with the refund's idempotency key; the
   * answer is recorded (and evt.payment.refunded emitted) in a new transaction. The service that
   * asked is recorded on the refund.
   */
  async refund(req: z.infer<typeof RefundRequest>): Promise<Refund> {
    const requestedBy = req.requested_by ?? 'unknown';
    if (requestedBy !== 'orders') this.ctx.logger.warn({ payment_id: req.payment_id, requested_by: requestedBy }, 'refund requested by a caller other than orders');
    const claim = await withTransaction(this.ctx.pool, async (tx) => {
      const row = await lockPayment(tx, req.payment_id);
      const existing = await q.findRefundByKey(tx, req.idempotency_key);
      if (existing) {
        if (existing.payment_id !== req.payment_id || (req.amount !== undefined && req.amount !== existing.amount)) {
          throw new AppError('IDEMPOTENCY_CONFLICT', 'This idempotency key was already used for a different refund.', { idempotency_key: req.idempotency_key });
        }
        if (existing.settled_at) return { refund: existing, mine: false };
        const claimed = await q.claimRefund(tx, existing.id, this.ctx.calls.staleBefore());
        return { refund: claimed ?? existing, mine: claimed !== null };
      }
      if (row.status !== 'captured' && row.status !== 'partially_refunded') {
        if (row.status === 'refunded') throw refundExceeds(row.amount_captured, row.amount_refunded);
        assertTransition(row.status, 'refunded', 'refund');
      }
      const held = row.amount_refunded + (await q.unsettledRefundTotal(tx, row.id));
      const check = refundAmount(row.amount_captured, held, req.amount);
      if (!check.ok) throw refundExceeds(row.amount_captured, held);
      const inserted = await q.insertRefundIntent(tx, {
        id: randomUUID(),
        paymentId: row.id,
        amount: check.amount,
        reason: req.reason ?? null,
        idempotencyKey: req.idempotency_key,
        requestedBy,
      });
      return { refund: inserted, mine: true };
    });
    if (!claim.mine) return q.toRefund(await this.settledRefund(claim.refund));
    return q.toRefund(await this.finishClaimed(claim.refund));
  }

  /** The provider call of a claimed refund intent (by its request, or by the sweep), and its answer recorded. */
  async finishClaimed(refund: q.RefundRow): Promise<q.RefundRow> {
    const payment = (await q.findPayment(this.ctx.pool, refund.payment_id))!;
    let result: ProviderRefund;
    try {
      result = await this.ctx.calls.track(refund.id, () =>
        this.ctx.provider.refund({ providerRef: payment.provider_ref!, amount: refund.amount, idempotencyKey: refund.idempotency_key, reason: refund.reason ?? undefined }),
      );
    } catch (e) {
      if (isRetryable(e)) {
        await q.releaseRefund(this.ctx.pool, refund.id);
        throw asProviderError(e);
      }
      result = { providerRef: null, status: 'failed' };
    }
    const settled = await withTransaction(this.ctx.pool, async (tx) => {
      const row = await lockPayment(tx, refund.payment_id);
      const now = (await q.lockRefund(tx, refund.id))!;
      if (now.settled_at) return now;
      if (result.status === 'failed') return q.settleRefund(tx, now.id, { status: 'failed', providerRef: result.providerRef, failureMessage: 'The payment provider refused the refund.' });
      const done = await q.settleRefund(tx, now.id, { status: result.status, providerRef: result.providerRef, failureMessage: null });
      const refunded = row.amount_refunded + now.amount;
      const next = statusAfterRefund(row.amount_captured, refunded);
      assertTransition(row.status, next, 'refund');
      const updated = await q.setRefunded(tx, row.id, refunded, next);
      await emitPaymentEvent(tx, paymentEvents.refunded, updated, { id: done.id, amount: done.amount });
      return done;
    });
    this.ctx.relay.kick();
    return this.settledRefund(settled);
  }

  /** A refund's final answer: a failed one is an error for every caller of its key. */
  private async settledRefund(refund: q.RefundRow): Promise<q.RefundRow> {
    const settled = refund.settled_at ? refund : await this.awaitSettled(refund.id);
    if (settled.status === 'failed') throw new AppError('UNAVAILABLE', 'The payment provider could not refund this payment. Please try again later.', { refund_id: settled.id });
    return settled;
  }

  /** Waits for another request's provider call on this refund to be recorded. */
  private awaitSettled(refundId: string): Promise<q.RefundRow> {
    return awaitOtherCall(async () => {
      const row = (await q.findRefund(this.ctx.pool, refundId))!;
      return row.settled_at ? row : undefined;
    });
  }
}

function refundExceeds(captured: number, refunded: number): AppError {
  return new AppError('REFUND_EXCEEDS_CAPTURED', 'The refund is more than what remains to be refunded on this payment.', {
    amount_captured: captured,
    amount_refunded: refunded,
    refundable: Math.max(0, captured - refunded),
  });
}
