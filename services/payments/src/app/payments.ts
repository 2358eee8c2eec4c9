import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { z } from 'zod';
import {
  AccountId,
  AppError,
  CheckoutLinkRequest,
  paymentEvents,
  type AuthorizeRequest,
  type CheckoutCompletedEventData,
  type CheckoutLink,
  type Payment,
  type PaymentEventData,
  type PaymentSubject,
  type PaymentStatus,
  type Refund,
  type RefundRequest,
} from '@shop/contracts';
import { publishEvent, withTransaction, type Logger, type OutboxRelay } from '@shop/kit';
import { assertTransition, canTransition, refundAmount, statusAfterRefund } from '../domain/payment-state.js';
import type { MethodSummary, PaymentProvider, ProviderCheckoutLink, ProviderEvent, ProviderPayment, ProviderRefund, RawWebhook } from '../domain/provider.js';
import { asProviderError, notOwnMethod } from '../domain/provider-errors.js';
import * as q from '../db/queries.js';
import { SavedMethods } from './saved-methods.js';

export interface PaymentsAppOptions {
  pool: pg.Pool;
  provider: PaymentProvider;
  relay: Pick<OutboxRelay, 'kick'>;
  logger: Logger;
  checkoutLinkTtlMinutes: number;
  /** A provider call not recorded this long after it was claimed is finished by the sweep (or a retry). */
  intentStaleMs: number;
}

const eventFor: Partial<Record<PaymentStatus, PaymentSubject>> = {
  authorized: paymentEvents.authorized,
  captured: paymentEvents.captured,
  failed: paymentEvents.failed,
  voided: paymentEvents.voided,
};

/**
 * The payments use cases. No provider call happens inside a database transaction: each records its
 * intent, commits, asks the provider with an idempotency key, and records the answer and its event
 * in a new transaction.
 */
export class PaymentsApp {
  private readonly pool: pg.Pool;
  /** Payments and refunds whose provider call this process is making right now. */
  private readonly inFlight = new Set<string>();
  readonly provider: PaymentProvider;
  private readonly logger: Logger;

  /** An account's saved payment methods (saved-methods.ts). */
  readonly methods: SavedMethods;

  constructor(private readonly opts: PaymentsAppOptions) {
    this.pool = opts.pool;
    this.provider = opts.provider;
    this.logger = opts.logger;
    this.methods = new SavedMethods(opts.pool, opts.provider, opts.logger);
  }

  /**
   * One payment per idempotency key, and no provider call inside a transaction: the pending row (the
   * intent) is committed first, the provider is asked with the payment's idempotency key, and its
   * answer is recorded in a new transaction. A concurrent request with the same key finds the intent
   * claimed and waits for its result without holding a connection. An outright refusal by the
   * provider deletes the intent (nothing was charged); a lost answer leaves it for a retry or the sweep.
   */
  async authorize(req: z.infer<typeof AuthorizeRequest>): Promise<Payment> {
    // A replay of a finished authorisation needs no lock (and no write): answer it directly.
    const known = await q.findPaymentByKey(this.pool, req.idempotency_key);
    if (known && isSettled(known)) {
      assertSameAuthorization(known, req);
      return q.toPayment(known);
    }
    const plan = await this.chargePlan(req);
    const claim = await withTransaction(this.pool, async (tx) => {
      await q.insertPendingPayment(tx, {
        id: randomUUID(),
        provider: this.provider.name,
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
      const claimed = await q.claimOp(tx, row.id, 'authorize', this.staleBefore());
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
    const testCard = this.provider.testCards().some((m) => m.id === req.payment_method_id);
    const own = account ? await q.accountMethod(this.pool, account, req.payment_method_id) : null;
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
      result = await this.tracked(row.id, () =>
        this.provider.authorize({
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
      await withTransaction(this.pool, async (tx) => {
        if (isRetryable(e)) await q.releaseOp(tx, row.id, 'authorize', true);
        else await q.deleteUnchargedPayment(tx, row.id);
      });
      throw asProviderError(e);
    }
    const updated = await withTransaction(this.pool, async (tx) => {
      const now = await this.locked(tx, row.id);
      // Recorded meanwhile (a sweep or a concurrent retry finished it): that answer stands.
      if (now.pending_op !== 'authorize') return now;
      return this.applyReport(tx, now, result);
    });
    this.opts.relay.kick();
    return updated;
  }

  async capture(paymentId: string): Promise<Payment> {
    const claim = await withTransaction(this.pool, async (tx) => {
      const row = await this.locked(tx, paymentId);
      if (row.status === 'captured' || row.status === 'partially_refunded' || row.status === 'refunded') return { row, mine: false };
      assertTransition(row.status, 'captured', 'capture');
      const claimed = await q.claimOp(tx, row.id, 'capture', this.staleBefore());
      return { row: claimed ?? row, mine: claimed !== null };
    });
    if (!claim.mine) return q.toPayment(claim.row.pending_op ? await this.awaitSettled(paymentId) : claim.row);
    return q.toPayment(await this.callCapture(claim.row));
  }

  private async callCapture(row: q.PaymentRow): Promise<q.PaymentRow> {
    let result: ProviderPayment;
    try {
      result = await this.tracked(row.id, () => this.provider.capture(row.provider_ref!, `capture:${row.id}`));
    } catch (e) {
      await withTransaction(this.pool, (tx) => q.releaseOp(tx, row.id, 'capture', isRetryable(e)));
      throw asProviderError(e);
    }
    const updated = await withTransaction(this.pool, async (tx) => {
      const now = await this.locked(tx, row.id);
      if (now.pending_op !== 'capture') return now;
      if (result.status !== 'captured') return this.applyReport(tx, now, result);
      const captured = await q.applyProviderPayment(tx, now.id, { ...result, amountCaptured: result.amountCaptured || now.amount }, 'captured');
      await emitPaymentEvent(tx, paymentEvents.captured, captured);
      return captured;
    });
    this.opts.relay.kick();
    return updated;
  }

  /**
   * Voids a payment: closes its checkout link at the provider (link payments) or cancels the
   * provider's authorisation, outside any transaction, then records it voided. An authorisation still
   * under way cannot be voided yet (UNAVAILABLE, retry): its outcome is not known.
   */
  async void(paymentId: string): Promise<Payment> {
    const claim = await withTransaction(this.pool, async (tx) => {
      // Link before payment, in the order checkout events lock them, so the two never deadlock.
      await q.lockCheckoutLinkOfPayment(tx, paymentId);
      const row = await this.locked(tx, paymentId);
      if (row.status === 'voided') return { row, mine: false };
      assertTransition(row.status, 'voided', 'void');
      if (row.pending_op === 'authorize' && row.pending_since! >= this.staleBefore()) {
        throw new AppError('UNAVAILABLE', 'This payment is still being processed, so it cannot be voided yet. Please try again in a moment.', { payment_id: row.id });
      }
      const claimed = await q.claimOp(tx, row.id, 'void', this.staleBefore());
      return { row: claimed ?? row, mine: claimed !== null };
    });
    if (!claim.mine) return q.toPayment(claim.row.pending_op ? await this.awaitSettled(paymentId) : claim.row);
    return q.toPayment(await this.callVoid(claim.row));
  }

  private async callVoid(row: q.PaymentRow): Promise<q.PaymentRow> {
    const link = await q.findCheckoutLinkOfPayment(this.pool, row.id);
    let result: ProviderPayment = { ...unpaid, providerRef: null, status: 'canceled' };
    let linkOutcome = null as 'expired' | 'complete' | null;
    try {
      await this.tracked(row.id, async () => {
        if (link) linkOutcome = link.status === 'open' ? await this.provider.expireCheckoutLink(link.id) : null;
        else if (row.provider_ref) result = await this.provider.void(row.provider_ref, `void:${row.id}`);
      });
    } catch (e) {
      await withTransaction(this.pool, (tx) => q.releaseOp(tx, row.id, 'void', isRetryable(e)));
      throw asProviderError(e);
    }
    const updated = await withTransaction(this.pool, async (tx) => {
      const lockedLink = await q.lockCheckoutLinkOfPayment(tx, row.id);
      const now = await this.locked(tx, row.id);
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
    this.opts.relay.kick();
    return updated;
  }

  async get(paymentId: string): Promise<Payment> {
    const row = await q.findPayment(this.pool, paymentId);
    if (!row) throw new AppError('PAYMENT_NOT_FOUND', 'No payment with that id.', { payment_id: paymentId });
    return q.toPayment(row);
  }

  /** The order's latest payment (an order may retry with another method after a decline). */
  async getByOrder(orderId: string): Promise<Payment> {
    const [latest] = await q.listPaymentsByOrder(this.pool, orderId);
    if (!latest) throw new AppError('PAYMENT_NOT_FOUND', 'That order has no payment.', { order_id: orderId });
    return q.toPayment(latest);
  }

  async listByOrder(orderId: string): Promise<Payment[]> {
    return (await q.listPaymentsByOrder(this.pool, orderId)).map(q.toPayment);
  }

  /**
   * Refunds are serialised by a lock on the payment row while the intent is written: its amount counts
   * against what remains refundable until it settles, so concurrent refunds never together exceed the
   * captured amount. The provider is asked after that commits, with the refund's idempotency key; the
   * answer is recorded (and evt.payment.refunded emitted) in a new transaction. The service that
   * asked is recorded on the refund.
   */
  async refund(req: z.infer<typeof RefundRequest>): Promise<Refund> {
    const requestedBy = req.requested_by ?? 'unknown';
    if (requestedBy !== 'orders') this.logger.warn({ payment_id: req.payment_id, requested_by: requestedBy }, 'refund requested by a caller other than orders');
    const claim = await withTransaction(this.pool, async (tx) => {
      const row = await this.locked(tx, req.payment_id);
      const existing = await q.findRefundByKey(tx, req.idempotency_key);
      if (existing) {
        if (existing.payment_id !== req.payment_id || (req.amount !== undefined && req.amount !== existing.amount)) {
          throw new AppError('IDEMPOTENCY_CONFLICT', 'This idempotency key was already used for a different refund.', { idempotency_key: req.idempotency_key });
        }
        if (existing.settled_at) return { refund: existing, mine: false };
        const claimed = await q.claimRefund(tx, existing.id, this.staleBefore());
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
    return q.toRefund(await this.callRefund(claim.refund));
  }

  private async callRefund(refund: q.RefundRow): Promise<q.RefundRow> {
    const payment = (await q.findPayment(this.pool, refund.payment_id))!;
    let result: ProviderRefund;
    try {
      result = await this.tracked(refund.id, () =>
        this.provider.refund({ providerRef: payment.provider_ref!, amount: refund.amount, idempotencyKey: refund.idempotency_key, reason: refund.reason ?? undefined }),
      );
    } catch (e) {
      if (isRetryable(e)) {
        await q.releaseRefund(this.pool, refund.id);
        throw asProviderError(e);
      }
      result = { providerRef: null, status: 'failed' };
    }
    const settled = await withTransaction(this.pool, async (tx) => {
      const row = await this.locked(tx, refund.payment_id);
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
    this.opts.relay.kick();
    return this.settledRefund(settled);
  }

  /** A refund's final answer: a failed one is an error for every caller of its key. */
  private async settledRefund(refund: q.RefundRow): Promise<q.RefundRow> {
    const settled = refund.settled_at ? refund : await this.awaitRefundSettled(refund.id);
    if (settled.status === 'failed') throw new AppError('UNAVAILABLE', 'The payment provider could not refund this payment. Please try again later.', { refund_id: settled.id });
    return settled;
  }

  /**
   * Finishes provider calls whose result was never recorded (a crash, a lost answer) once they are
   * older than the stale limit: the same call again with the same idempotency key, then the answer
   * recorded. Claiming is a conditional update, so two instances never both finish one.
   */
  async sweepIntents(): Promise<number> {
    const staleBefore = this.staleBefore();
    let finished = 0;
    for (const { id, pending_op: op } of await q.staleIntents(this.pool, staleBefore)) {
      if (this.inFlight.has(id)) continue;
      const claimed = await withTransaction(this.pool, (tx) => q.claimOp(tx, id, op, staleBefore));
      if (!claimed) continue;
      await this.finishIntent(claimed, op).then(
        () => finished++,
        (e) => this.logger.warn({ payment_id: id, op, err: (e as Error).message }, 'payment intent could not be finished; will retry'),
      );
    }
    for (const id of await q.staleRefunds(this.pool, staleBefore)) {
      if (this.inFlight.has(id)) continue;
      const claimed = await q.claimRefund(this.pool, id, staleBefore);
      if (!claimed) continue;
      await this.callRefund(claimed).then(
        () => finished++,
        (e) => this.logger.warn({ refund_id: id, err: (e as Error).message }, 'refund intent could not be finished; will retry'),
      );
    }
    for (const intent of await q.staleLinkIntents(this.pool, staleBefore)) {
      const claimed = await q.claimLinkIntent(this.pool, intent.idempotency_key, intent.request, staleBefore);
      if (!claimed) continue;
      await this.callCreateLink(CheckoutLinkRequest.parse(claimed.request)).then(
        () => finished++,
        (e) => this.logger.warn({ idempotency_key: intent.idempotency_key, err: (e as Error).message }, 'checkout link intent could not be finished; will retry'),
      );
    }
    return finished;
  }

  private finishIntent(row: q.PaymentRow, op: q.PendingOp): Promise<q.PaymentRow> {
    if (op === 'authorize') return this.callAuthorize(row);
    if (op === 'capture') return this.callCapture(row);
    return this.callVoid(row);
  }

  /**
   * One link per idempotency key. The intent is committed first, the provider asked (same key) outside
   * any transaction, and the link recorded in a new one under an advisory lock on the key, which also
   * serialises concurrent requests. A link for an order records that order's pending payment in that
   * same transaction, so a paid link always has a payment to capture (and later refund).
   */
  async createCheckoutLink(req: z.infer<typeof CheckoutLinkRequest>): Promise<CheckoutLink> {
    const existing = await q.findCheckoutLinkByKey(this.pool, req.idempotency_key);
    if (existing) return sameLink(existing, req);
    const claimed = await q.claimLinkIntent(this.pool, req.idempotency_key, req, this.staleBefore());
    if (!claimed) {
      // Another request with this key is asking the provider: its link is the answer.
      const deadline = Date.now() + DUPLICATE_WAIT_MS;
      while (Date.now() < deadline) {
        await sleep(POLL_MS);
        const link = await q.findCheckoutLinkByKey(this.pool, req.idempotency_key);
        if (link) return sameLink(link, req);
        if (!(await q.findLinkIntent(this.pool, req.idempotency_key))) return this.createCheckoutLink(req);
      }
      throw stillProcessing();
    }
    return this.callCreateLink(req);
  }

  private async callCreateLink(req: z.infer<typeof CheckoutLinkRequest>): Promise<CheckoutLink> {
    const expiresAt = new Date(Date.now() + (req.expires_in_minutes ?? this.opts.checkoutLinkTtlMinutes) * 60_000);
    let link: ProviderCheckoutLink;
    try {
      link = await this.provider.createCheckoutLink({
        cartId: req.cart_id,
        customer: req.customer,
        amount: req.amount,
        currency: req.currency,
        lineItems: req.line_items.map((i) => ({ name: i.name, quantity: i.quantity, unitAmount: i.unit_amount })),
        idempotencyKey: req.idempotency_key,
        expiresAt,
        ...(req.order_id ? { orderId: req.order_id } : {}),
      });
    } catch (e) {
      if (isRetryable(e)) await q.releaseLinkIntent(this.pool, req.idempotency_key);
      else await q.deleteLinkIntent(this.pool, req.idempotency_key);
      throw asProviderError(e);
    }
    return withTransaction(this.pool, async (tx) => {
      await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`checkout:${req.idempotency_key}`]);
      const recorded = await q.findCheckoutLinkByKey(tx, req.idempotency_key);
      if (recorded) return sameLink(recorded, req);
      let row = await q.insertCheckoutLink(tx, {
        id: link.id,
        provider: this.provider.name,
        cartId: req.cart_id,
        customer: req.customer,
        amount: req.amount,
        currency: req.currency,
        lineItems: req.line_items,
        idempotencyKey: req.idempotency_key,
        url: link.url,
        expiresAt: link.expiresAt,
      });
      if (req.order_id) {
        const payment = await q.insertCheckoutPayment(tx, {
          id: randomUUID(),
          provider: this.provider.name,
          orderId: req.order_id,
          customer: req.customer,
          amount: req.amount,
          currency: req.currency,
          idempotencyKey: `checkout:${req.idempotency_key}`,
          checkoutId: link.id,
          description: `Checkout ${link.id}`,
        });
        row = await q.linkCheckoutToPayment(tx, link.id, req.order_id, payment.id);
      }
      await q.deleteLinkIntent(tx, req.idempotency_key);
      return q.toCheckoutLink(row);
    });
  }

  async findCheckoutLink(id: string): Promise<q.CheckoutLinkRow | null> {
    return q.findCheckoutLink(this.pool, id);
  }

  async findPayment(id: string): Promise<q.PaymentRow | null> {
    return q.findPayment(this.pool, id);
  }

  /** A shopper cancelled on the demo checkout page: the link closes, nothing was charged. */
  async cancelCheckoutLink(id: string): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      const link = await q.findCheckoutLink(tx, id, true);
      if (link?.status !== 'open') return;
      await q.setCheckoutLinkStatus(tx, id, 'canceled', null);
      await this.closeLinkPayment(tx, link, 'checkout_canceled', 'The payment was cancelled on the checkout page.');
    });
    this.opts.relay.kick();
  }

  /** Verifies a webhook on its raw body and records it; returns false for a duplicate event id. */
  async receiveWebhook(rawBody: Buffer, signature: string | undefined): Promise<{ id: string; duplicate: boolean }> {
    const event = this.provider.verifyWebhook(rawBody, signature);
    return this.recordEvent(event);
  }

  async recordEvent(event: RawWebhook): Promise<{ id: string; duplicate: boolean }> {
    const inserted = await q.recordWebhookEvent(this.pool, { ...event, provider: this.provider.name });
    return { id: event.id, duplicate: !inserted };
  }

  /**
   * Applies a recorded event once: the row is locked (skip locked, so a concurrent processor
   * moves on) and marked processed in the same transaction as its effects.
   */
  async processEvent(eventId: string): Promise<void> {
    try {
      const pending = await q.findPendingWebhookEvent(this.pool, eventId);
      if (!pending) return;
      const event = this.provider.interpretEvent(pending.payload);
      // Only the provider's payment knows the card (Checkout's completion event does not carry it):
      // asked before the transaction, best effort.
      const method =
        event.kind === 'checkout_completed' && event.providerPaymentRef
          ? ((await this.provider.retrieve(event.providerPaymentRef).catch(() => null))?.method ?? null)
          : event.kind === 'setup_completed'
            ? // The card is what a setup saves: without it the event is retried (the catch below).
              await this.provider.setupMethod(event.setupIntentRef)
            : null;
      await withTransaction(this.pool, async (tx) => {
        const row = await q.lockPendingWebhookEvent(tx, eventId);
        if (!row) return;
        await this.applyEvent(tx, event, method);
        await q.markWebhookProcessed(tx, eventId);
      });
      this.opts.relay.kick();
    } catch (e) {
      this.logger.warn({ event_id: eventId, err: (e as Error).message }, 'webhook event failed; will retry');
      await q.markWebhookFailed(this.pool, eventId, (e as Error).message).catch(() => undefined);
    }
  }

  /** Retries events that were recorded but not processed (a crash, or a failed attempt). */
  async sweepWebhookEvents(olderThanMs: number): Promise<number> {
    const ids = await q.pendingWebhookEventIds(this.pool, olderThanMs);
    for (const id of ids) await this.processEvent(id);
    return ids.length;
  }

  private async applyEvent(tx: pg.PoolClient, event: ProviderEvent, method: MethodSummary | null): Promise<void> {
    switch (event.kind) {
      case 'payment_updated': {
        const row = await q.lockPaymentByRef(tx, this.provider.name, event.providerRef);
        if (!row) {
          this.logger.info({ event_id: event.id, provider_ref: event.providerRef }, 'event for a payment this service did not create; ignored');
          return;
        }
        if (row.status === event.payment.status || !canTransition(row.status, event.payment.status, 'provider')) return;
        await this.applyReport(tx, row, event.payment);
        return;
      }
      case 'checkout_completed': {
        const link = await q.findCheckoutLink(tx, event.checkoutId, true);
        if (!link || link.status === 'completed') return;
        await q.setCheckoutLinkStatus(tx, link.id, 'completed', event.providerPaymentRef);
        const captured = link.payment_id ? await this.captureLinkPayment(tx, link, event.providerPaymentRef, method) : null;
        const data: CheckoutCompletedEventData = {
          checkout_id: link.id,
          cart_id: link.cart_id,
          customer: link.customer,
          amount: event.amount ?? link.amount,
          currency: link.currency,
          provider: link.provider,
          provider_payment_ref: event.providerPaymentRef,
          ...(link.order_id ? { order_id: link.order_id } : {}),
          ...(captured ? { payment_id: captured.id } : {}),
        };
        await publishEvent(tx, { subject: paymentEvents.checkoutCompleted, data });
        return;
      }
      case 'checkout_expired': {
        const link = await q.findCheckoutLink(tx, event.checkoutId, true);
        if (link?.status !== 'open') return;
        await q.setCheckoutLinkStatus(tx, link.id, 'expired', null);
        await this.closeLinkPayment(tx, link, 'checkout_expired', 'The checkout link expired before it was paid.');
        return;
      }
      case 'setup_completed': {
        // The card is saved for the account whose customer the session was made under, by our own
        // table: neither the session's metadata nor anything the shopper sent chooses the account.
        const account = event.providerCustomer ? await q.accountOfProviderCustomer(tx, this.provider.name, event.providerCustomer) : null;
        if (!account || !method?.id || !method.brand || !method.last4) {
          this.logger.warn({ event_id: event.id, checkout_id: event.checkoutId }, 'setup completed for no known account, or without a card; ignored');
          return;
        }
        await q.lockAccount(tx, account, 'methods');
        await q.saveMethod(tx, { accountId: account, paymentMethodId: method.id, brand: method.brand, last4: method.last4 });
        return;
      }
      case 'ignored':
        return;
    }
  }

  /**
   * The shopper paid a link created for an order: its pending payment becomes captured, under the
   * provider's payment id (what refunds address), with the card's brand and last 4 when the provider
   * reports them. A payment already closed (voided as the link was paid) is left for a refund.
   */
  private async captureLinkPayment(tx: pg.PoolClient, link: q.CheckoutLinkRow, providerPaymentRef: string | null, method: MethodSummary | null): Promise<q.PaymentRow | null> {
    const row = await this.locked(tx, link.payment_id!);
    if (!canTransition(row.status, 'captured', 'provider')) {
      this.logger.warn({ payment_id: row.id, checkout_id: link.id, status: row.status }, 'checkout paid for a payment that is already closed');
      return null;
    }
    const updated = await q.applyProviderPayment(
      tx,
      row.id,
      { ...unpaid, providerRef: providerPaymentRef, status: 'captured', amountCaptured: row.amount, method: method ?? unpaid.method },
      'captured',
    );
    await emitPaymentEvent(tx, paymentEvents.captured, updated);
    return updated;
  }

  /** A link that will not be paid (cancelled on the page, expired): its pending payment is canceled. */
  private async closeLinkPayment(tx: pg.PoolClient, link: q.CheckoutLinkRow, code: string, message: string): Promise<void> {
    if (!link.payment_id) return;
    const row = await this.locked(tx, link.payment_id);
    if (!canTransition(row.status, 'canceled', 'provider')) return;
    const updated = await q.applyProviderPayment(tx, row.id, { ...unpaid, providerRef: null, status: 'canceled', failureCode: code, failureMessage: message }, 'canceled');
    await emitPaymentEvent(tx, paymentEvents.canceled, updated);
  }

  /** Stores a provider's report on a payment, after the transition table allows it, and emits its event. */
  private async applyReport(tx: pg.PoolClient, row: q.PaymentRow, report: ProviderPayment): Promise<q.PaymentRow> {
    if (report.status === row.status) return q.applyProviderPayment(tx, row.id, report, row.status);
    assertTransition(row.status, report.status, 'provider');
    const updated = await q.applyProviderPayment(tx, row.id, report, report.status);
    const subject = eventFor[report.status];
    if (subject) await emitPaymentEvent(tx, subject, updated);
    await saveMethodIfAsked(tx, updated);
    return updated;
  }

  /** Intents claimed before this are abandoned (their caller crashed or gave up): anyone may finish them. */
  private staleBefore(): Date {
    return new Date(Date.now() - this.opts.intentStaleMs);
  }

  /** Marks a provider call as under way in this process, so the sweep leaves it alone. */
  private async tracked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    this.inFlight.add(id);
    try {
      return await fn();
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** Waits, holding no connection, for another request's provider call on this payment to be recorded. */
  private async awaitSettled(paymentId: string): Promise<q.PaymentRow> {
    const deadline = Date.now() + DUPLICATE_WAIT_MS;
    for (;;) {
      const row = await q.findPayment(this.pool, paymentId);
      if (!row) throw new AppError('PAYMENT_NOT_FOUND', 'No payment with that id.', { payment_id: paymentId });
      if (!row.pending_op) return row;
      if (Date.now() > deadline) throw stillProcessing();
      await sleep(POLL_MS);
    }
  }

  private async awaitRefundSettled(refundId: string): Promise<q.RefundRow> {
    const deadline = Date.now() + DUPLICATE_WAIT_MS;
    for (;;) {
      const row = (await q.findRefund(this.pool, refundId))!;
      if (row.settled_at) return row;
      if (Date.now() > deadline) throw stillProcessing();
      await sleep(POLL_MS);
    }
  }

  private async locked(tx: pg.PoolClient, paymentId: string): Promise<q.PaymentRow> {
    const row = await q.lockPayment(tx, paymentId);
    if (!row) throw new AppError('PAYMENT_NOT_FOUND', 'No payment with that id.', { payment_id: paymentId });
    return row;
  }
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

/** A provider report with nothing charged and no method: the base for link payments' own changes. */
const unpaid: Omit<ProviderPayment, 'providerRef' | 'status'> = {
  amountCaptured: 0,
  method: { id: null, brand: null, last4: null },
  failureCode: null,
  failureMessage: null,
  nextActionUrl: null,
};

/** How long a duplicate request waits for the first one's provider call (orders asks with a 15 s timeout). */
const DUPLICATE_WAIT_MS = 8_000;
const POLL_MS = 50;

/** A payment whose authorisation needs no (further) provider call. */
function isSettled(row: q.PaymentRow): boolean {
  return row.pending_op !== 'authorize' && (row.provider_ref !== null || row.status !== 'pending');
}

/** A provider failure after which the call's outcome is unknown, or it may succeed if asked again. */
function isRetryable(e: unknown): boolean {
  return !(e instanceof AppError) || e.code === 'UNAVAILABLE' || e.code === 'TIMEOUT';
}

function stillProcessing(): AppError {
  return new AppError('UNAVAILABLE', 'This payment is still being processed. Please try again in a moment.');
}

function sameLink(existing: q.CheckoutLinkRow, req: z.infer<typeof CheckoutLinkRequest>): CheckoutLink {
  if (
    existing.cart_id !== req.cart_id ||
    existing.amount !== req.amount ||
    existing.currency !== req.currency ||
    existing.customer !== req.customer ||
    existing.order_id !== (req.order_id ?? null)
  ) {
    throw new AppError('IDEMPOTENCY_CONFLICT', 'This idempotency key was already used for a different checkout.', { idempotency_key: req.idempotency_key });
  }
  return q.toCheckoutLink(existing);
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

function refundExceeds(captured: number, refunded: number): AppError {
  return new AppError('REFUND_EXCEEDS_CAPTURED', 'The refund is more than what remains to be refunded on this payment.', {
    amount_captured: captured,
    amount_refunded: refunded,
    refundable: Math.max(0, captured - refunded),
  });
}

async function emitPaymentEvent(tx: pg.PoolClient, subject: PaymentSubject, row: q.PaymentRow, refund?: { id: string; amount: number }): Promise<void> {
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
