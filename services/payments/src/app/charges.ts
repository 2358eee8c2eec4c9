import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { AccountId, AppError, paymentEvents, type AuthorizeRequest, type Payment } from '@shop/contracts';
import { withTransaction } from '@shop/kit';
import { assertTransition, canTransition } from '../domain/payment-state.js';
import type { ProviderPayment } from '../domain/provider.js';
import { asProviderError, notOwnMethod } from '../domain/provider-errors.js';
import * as q from '../db/queries.js';
import type { SavedMethods } from './saved-methods.js';
import { applyProviderReport, awaitOtherCall, emitPaymentEvent, isRetryable, lockPayment, paymentNotFound, unpaid, type PaymentsContext } from './shared.js';

/**
 * Charging an order: authorise (and capture at once, if asked), capture later, void, and the
 * payment's reads. Each operation claims the payment's pending operation (its intent) before the
 * provider call, so a concurrent request, a retry or the sweep never make the same call twice at once.
 */
export class Charges {
  constructor(
    private readonly ctx: PaymentsContext,
    private readonly methods: SavedMethods,
  ) {}

  /**
   * One payment per idempotency key, and no provider call inside a transaction: the pending row (the
   * intent) is committed first, the provider is asked with the payment's idempotency key, and its
   * answer is recorded in a new transaction. A concurrent request with the same key finds the intent
   * claimed and waits for its result without holding a connection. An outright refusal by the
   * provider deletes the intent (nothing was charged); a lost answer leaves it for a retry or the sweep.
   */
  async authorize(req: z.infer<typeof AuthorizeRequest>): Promise<Payment> {
    // A replay of a finished authorisation needs no lock (and no write): answer it directly.
    const known = await q.findPaymentByKey(this.ctx.pool, req.idempotency_key);
    if (known && isSettled(known)) {
      assertSameAuthorization(known, req);
      return q.toPayment(known);
    }
    const plan = await this.chargePlan(req);
    const claim = await withTransaction(this.ctx.pool, async (tx) => {
      await q.insertPendingPayment(tx, {
        id: randomUUID(),
        provider: this.ctx.provider.name,
        orderId: req.order_id,
        customer: req.customer,
        amount: req.amount,
        currency: req.currency,
        capture: req.capture,
        idempotencyKey: req.idempotency_key,
        description: req.description ?? null,
        paymentMethodId: req.payment_method_id,
        saveForCustomer: plan.saveFor,
        accountId: plan.account,
        providerCustomer: plan.providerCustomer,
      });
      const row = await q.lockPaymentByKey(tx, req.idempotency_key);
      if (!row) throw new AppError('INTERNAL', 'Something went wrong on our side. Please try again.');
      assertSameAuthorization(row, req);
      if (isSettled(row)) return { row, mine: false };
      const claimed = await q.claimOp(tx, row.id, 'authorize', this.ctx.calls.staleBefore());
      return { row: claimed ?? row, mine: claimed !== null };
    });
    if (!claim.mine) return q.toPayment(isSettled(claim.row) ? claim.row : await this.awaitSettled(claim.row.id));
    return q.toPayment(await this.callAuthorize(claim.row));
  }

  /**
   * Whose card this is: a test card anyone may use, or one saved for the order's account (and charged
   * under the account's provider customer). Anything else is refused before a row or a provider call,
   * so an order never charges a card of another account, whatever customer orders names. A card to be
   * saved is saved only for the order's own account.
   */
  private async chargePlan(req: z.infer<typeof AuthorizeRequest>): Promise<{ account: string | null; saveFor: string | null; providerCustomer: string | null }> {
    const account = req.account !== undefined && AccountId.safeParse(req.account).success ? req.account : null;
    const testCard = this.ctx.provider.testCards().some((m) => m.id === req.payment_method_id);
    const own = account ? await q.accountMethod(this.ctx.pool, account, req.payment_method_id) : null;
    if (!own && !testCard) {
      throw notOwnMethod(req.payment_method_id);
    }
    const saveFor = account !== null && req.save_for_customer === account ? account : null;
    const needsCustomer = account !== null && (saveFor !== null || !testCard);
    return { account, saveFor, providerCustomer: needsCustomer ? await this.methods.providerCustomer(account) : null };
  }

  /** The provider call of a claimed authorisation intent, and its answer recorded. */
  private async callAuthorize(row: q.PaymentRow): Promise<q.PaymentRow> {
    let result: ProviderPayment;
    try {
      result = await this.ctx.calls.track(row.id, () =>
        this.ctx.provider.authorize({
          paymentId: row.id,
          orderId: row.order_id,
          amount: row.amount,
          currency: row.currency,
          paymentMethodId: row.payment_method_id!,
          customer: row.customer,
          providerCustomer: row.provider_customer,
          saveMethod: row.save_for_customer !== null,
          capture: row.capture,
          idempotencyKey: row.idempotency_key,
          description: row.description ?? undefined,
        }),
      );
    } catch (e) {
      await withTransaction(this.ctx.pool, async (tx) => {
        if (isRetryable(e)) await q.releaseOp(tx, row.id, 'authorize', true);
        else await q.deleteUnchargedPayment(tx, row.id);
      });
      throw asProviderError(e);
    }
    const updated = await withTransaction(this.ctx.pool, async (tx) => {
      const now = await lockPayment(tx, row.id);
      // Recorded meanwhile (a sweep or a concurrent retry finished it): that answer stands.
      if (now.pending_op !== 'authorize') return now;
      return applyProviderReport(tx, now, result);
    });
    this.ctx.relay.kick();
    return updated;
  }

  async capture(paymentId: string): Promise<Payment> {
    const claim = await withTransaction(this.ctx.pool, async (tx) => {
      const row = await lockPayment(tx, paymentId);
      if (row.status === 'captured' || row.status === 'partially_refunded' || row.status === 'refunded') return { row, mine: false };
      assertTransition(row.status, 'captured', 'capture');
      const claimed = await q.claimOp(tx, row.id, 'capture', this.ctx.calls.staleBefore());
      return { row: claimed ?? row, mine: claimed !== null };
    });
    if (!claim.mine) return q.toPayment(claim.row.pending_op ? await this.awaitSettled(paymentId) : claim.row);
    return q.toPayment(await this.callCapture(claim.row));
  }

  private async callCapture(row: q.PaymentRow): Promise<q.PaymentRow> {
    let result: ProviderPayment;
    try {
      result = await this.ctx.calls.track(row.id, () => this.ctx.provider.capture(row.provider_ref!, `capture:${row.id}`));
    } catch (e) {
      await withTransaction(this.ctx.pool, (tx) => q.releaseOp(tx, row.id, 'capture', isRetryable(e)));
      throw asProviderError(e);
    }
    const updated = await withTransaction(this.ctx.pool, async (tx) => {
      const now = await lockPayment(tx, row.id);
      if (now.pending_op !== 'capture') return now;
      if (result.status !== 'captured') return applyProviderReport(tx, now, result);
      const captured = await q.applyProviderPayment(tx, now.id, { ...result, amountCaptured: result.amountCaptured || now.amount }, 'captured');
      await emitPaymentEvent(tx, paymentEvents.captured, captured);
      return captured;
    });
    this.ctx.relay.kick();
    return updated;
  }

  /**
   * Voids a payment: closes its checkout link at the provider (link payments) or cancels the
   * provider's authorisation, outside any transaction, then records it voided. An authorisation still
   * under way cannot be voided yet (UNAVAILABLE, retry): its outcome is not known.
   */
  async void(paymentId: string): Promise<Payment> {
    const claim = await withTransaction(this.ctx.pool, async (tx) => {
      // Link before payment, in the order checkout events lock them, so the two never deadlock.
      await q.lockCheckoutLinkOfPayment(tx, paymentId);
      const row = await lockPayment(tx, paymentId);
      if (row.status === 'voided') return { row, mine: false };
      assertTransition(row.status, 'voided', 'void');
      if (row.pending_op === 'authorize' && row.pending_since! >= this.ctx.calls.staleBefore()) {
        throw new AppError('UNAVAILABLE', 'This payment is still being processed, so it cannot be voided yet. Please try again in a moment.', { payment_id: row.id });
      }
      const claimed = await q.claimOp(tx, row.id, 'void', this.ctx.calls.staleBefore());
      return { row: claimed ?? row, mine: claimed !== null };
    });
    if (!claim.mine) return q.toPayment(claim.row.pending_op ? await this.awaitSettled(paymentId) : claim.row);
    return q.toPayment(await this.callVoid(claim.row));
  }

  private async callVoid(row: q.PaymentRow): Promise<q.PaymentRow> {
    const link = await q.findCheckoutLinkOfPayment(this.ctx.pool, row.id);
    let result: ProviderPayment = { ...unpaid, providerRef: null, status: 'canceled' };
    let linkOutcome = null as 'expired' | 'complete' | null;
    try {
      await this.ctx.calls.track(row.id, async () => {
        if (link) linkOutcome = link.status === 'open' ? await this.ctx.provider.expireCheckoutLink(link.id) : null;
        else if (row.provider_ref) result = await this.ctx.provider.void(row.provider_ref, `void:${row.id}`);
      });
    } catch (e) {
      await withTransaction(this.ctx.pool, (tx) => q.releaseOp(tx, row.id, 'void', isRetryable(e)));
      throw asProviderError(e);
    }
    const updated = await withTransaction(this.ctx.pool, async (tx) => {
      const lockedLink = await q.lockCheckoutLinkOfPayment(tx, row.id);
      const now = await lockPayment(tx, row.id);
      if (now.pending_op !== 'void') return now;
      if (linkOutcome === 'complete' || !canTransition(now.status, 'voided', 'void')) {
        // Paid on the checkout page first: its completion captures the payment instead.
        await q.releaseOp(tx, now.id, 'void', false);
        return null;
      }
      if (lockedLink?.status === 'open') await q.setCheckoutLinkStatus(tx, lockedLink.id, lockedLink.expires_at <= new Date() ? 'expired' : 'canceled', null);
      const voided = await q.applyProviderPayment(tx, now.id, { ...result, amountCaptured: 0, nextActionUrl: null }, 'voided');
      await emitPaymentEvent(tx, paymentEvents.voided, voided);
      return voided;
    });
    if (!updated) throw new AppError('INVALID_TRANSITION', 'This payment was just completed on the checkout page, so it cannot be voided.', { checkout_id: link?.id ?? null });
    this.ctx.relay.kick();
    return updated;
  }

  /** The provider call of an operation claimed by the sweep (its first caller never recorded an answer), and its answer recorded. */
  finishClaimed(row: q.PaymentRow, op: q.PendingOp): Promise<q.PaymentRow> {
    if (op === 'authorize') return this.callAuthorize(row);
    if (op === 'capture') return this.callCapture(row);
    return this.callVoid(row);
  }

  /** Waits for another request's provider call on this payment to be recorded. */
  private awaitSettled(paymentId: string): Promise<q.PaymentRow> {
    return awaitOtherCall(async () => {
      const row = await q.findPayment(this.ctx.pool, paymentId);
      if (!row) throw paymentNotFound(paymentId);
      return row.pending_op ? undefined : row;
    });
  }

  async get(paymentId: string): Promise<Payment> {
    const row = await q.findPayment(this.ctx.pool, paymentId);
    if (!row) throw paymentNotFound(paymentId);
    return q.toPayment(row);
  }

  /** The order's latest payment (an order may retry with another method after a decline). */
  async getByOrder(orderId: string): Promise<Payment> {
    const [latest] = await q.listPaymentsByOrder(this.ctx.pool, orderId);
    if (!latest) throw new AppError('PAYMENT_NOT_FOUND', 'That order has no payment.', { order_id: orderId });
    return q.toPayment(latest);
  }

  async listByOrder(orderId: string): Promise<Payment[]> {
    return (await q.listPaymentsByOrder(this.ctx.pool, orderId)).map(q.toPayment);
  }

  /** The stored row, for the demo provider's pages. */
  async findPayment(id: string): Promise<q.PaymentRow | null> {
    return q.findPayment(this.ctx.pool, id);
  }
}

/** A payment whose authorisation needs no (further) provider call. */
function isSettled(row: q.PaymentRow): boolean {
  return row.pending_op !== 'authorize' && (row.provider_ref !== null || row.status !== 'pending');
}

function assertSameAuthorization(row: q.PaymentRow, req: z.infer<typeof AuthorizeRequest>): void {
  const differs: string[] = [];
  if (row.order_id !== req.order_id) differs.push('order_id');
  if (row.amount !== req.amount) differs.push('amount');
  if (row.currency !== req.currency) differs.push('currency');
  if (row.payment_method_id !== req.payment_method_id) differs.push('payment_method_id');
  if (row.capture !== req.capture) differs.push('capture');
  if (differs.length) {
    throw new AppError('IDEMPOTENCY_CONFLICT', 'This idempotency key was already used for a different payment.', { idempotency_key: req.idempotency_key, differs });
  }
}
