import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { z } from 'zod';
import {
  AppError,
  paymentEvents,
  type AuthorizeRequest,
  type CheckoutCompletedEventData,
  type CheckoutLink,
  type CheckoutLinkRequest,
  type ListMethodsResult,
  type Payment,
  type PaymentEventData,
  type PaymentStatus,
  type Refund,
  type RefundRequest,
} from '@shop/contracts';
import { enqueueEvent, withTransaction, type Logger, type OutboxRelay } from '@shop/kit';
import { assertTransition, canTransition, refundAmount, statusAfterRefund } from '../domain/payment-state.js';
import type { PaymentProvider, ProviderEvent, ProviderPayment, RawWebhook } from '../domain/provider.js';
import { mergeMethods } from '../domain/saved-methods.js';
import * as q from '../db/queries.js';

export interface PaymentsAppOptions {
  pool: pg.Pool;
  provider: PaymentProvider;
  relay: Pick<OutboxRelay, 'kick'>;
  logger: Logger;
  checkoutLinkTtlMinutes: number;
}

const eventFor: Partial<Record<PaymentStatus, string>> = {
  authorized: paymentEvents.authorized,
  captured: paymentEvents.captured,
  failed: paymentEvents.failed,
  voided: paymentEvents.voided,
};

/** The payments use cases: each state change, its provider call and its event in one transaction. */
export class PaymentsApp {
  private readonly pool: pg.Pool;
  readonly provider: PaymentProvider;
  private readonly logger: Logger;

  constructor(private readonly opts: PaymentsAppOptions) {
    this.pool = opts.pool;
    this.provider = opts.provider;
    this.logger = opts.logger;
  }

  /**
   * One payment per idempotency key. The pending row is inserted in the same transaction that
   * calls the provider: a concurrent request with the same key waits on the unique index, then
   * finds the finished payment. A provider failure rolls back and leaves nothing behind.
   */
  async authorize(req: z.infer<typeof AuthorizeRequest>): Promise<Payment> {
    // A replay of a finished authorisation needs no lock (and no write): answer it directly.
    const known = await q.findPaymentByKey(this.pool, req.idempotency_key);
    if (known && (known.provider_ref !== null || known.status !== 'pending')) {
      assertSameAuthorization(known, req);
      return q.toPayment(known);
    }
    const payment = await withTransaction(this.pool, async (tx) => {
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
        saveForCustomer: req.save_for_customer ?? null,
      });
      const row = await q.lockPaymentByKey(tx, req.idempotency_key);
      if (!row) throw new AppError('INTERNAL', 'Something went wrong on our side. Please try again.');
      assertSameAuthorization(row, req);
      if (row.provider_ref !== null || row.status !== 'pending') return row;
      const result = await this.provider.authorize({
        paymentId: row.id,
        orderId: row.order_id,
        amount: row.amount,
        currency: row.currency,
        paymentMethodId: req.payment_method_id,
        customer: row.customer,
        capture: row.capture,
        idempotencyKey: row.idempotency_key,
        description: req.description,
      });
      return this.applyReport(tx, row, result);
    });
    this.opts.relay.kick();
    return q.toPayment(payment);
  }

  async capture(paymentId: string): Promise<Payment> {
    const payment = await withTransaction(this.pool, async (tx) => {
      const row = await this.locked(tx, paymentId);
      if (row.status === 'captured' || row.status === 'partially_refunded' || row.status === 'refunded') return row;
      assertTransition(row.status, 'captured', 'capture');
      const result = await this.provider.capture(row.provider_ref!, `capture:${row.id}`);
      if (result.status !== 'captured') return this.applyReport(tx, row, result);
      const updated = await q.applyProviderPayment(tx, row.id, { ...result, amountCaptured: result.amountCaptured || row.amount }, 'captured');
      await emitPaymentEvent(tx, paymentEvents.captured, updated);
      return updated;
    });
    this.opts.relay.kick();
    return q.toPayment(payment);
  }

  async void(paymentId: string): Promise<Payment> {
    const payment = await withTransaction(this.pool, async (tx) => {
      // Link before payment, in the order checkout events lock them, so the two never deadlock.
      const link = await q.lockCheckoutLinkOfPayment(tx, paymentId);
      const row = await this.locked(tx, paymentId);
      if (row.status === 'voided') return row;
      assertTransition(row.status, 'voided', 'void');
      let result: ProviderPayment = { ...unpaid, providerRef: null, status: 'canceled' };
      if (link) await this.closeLinkForVoid(tx, link);
      else if (row.provider_ref) result = await this.provider.void(row.provider_ref, `void:${row.id}`);
      const updated = await q.applyProviderPayment(tx, row.id, { ...result, amountCaptured: 0, nextActionUrl: null }, 'voided');
      await emitPaymentEvent(tx, paymentEvents.voided, updated);
      return updated;
    });
    this.opts.relay.kick();
    return q.toPayment(payment);
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
   * Refunds are serialised by a lock on the payment row, so concurrent refunds can never
   * together exceed the captured amount; the idempotency key is checked under the same lock.
   */
  async refund(req: z.infer<typeof RefundRequest>): Promise<Refund> {
    const refund = await withTransaction(this.pool, async (tx) => {
      const row = await this.locked(tx, req.payment_id);
      const existing = await q.findRefundByKey(tx, req.idempotency_key);
      if (existing) {
        if (existing.payment_id !== req.payment_id || (req.amount !== undefined && req.amount !== existing.amount)) {
          throw new AppError('IDEMPOTENCY_CONFLICT', 'This idempotency key was already used for a different refund.', { idempotency_key: req.idempotency_key });
        }
        return existing;
      }
      if (row.status !== 'captured' && row.status !== 'partially_refunded') {
        if (row.status === 'refunded') throw refundExceeds(row.amount_captured, row.amount_refunded);
        assertTransition(row.status, 'refunded', 'refund');
      }
      const check = refundAmount(row.amount_captured, row.amount_refunded, req.amount);
      if (!check.ok) throw refundExceeds(row.amount_captured, row.amount_refunded);
      const result = await this.provider.refund({ providerRef: row.provider_ref!, amount: check.amount, idempotencyKey: req.idempotency_key, reason: req.reason });
      if (result.status === 'failed') throw new AppError('UNAVAILABLE', 'The payment provider could not refund this payment. Please try again later.');
      const inserted = await q.insertRefund(tx, {
        id: randomUUID(),
        paymentId: row.id,
        amount: check.amount,
        status: result.status,
        reason: req.reason ?? null,
        idempotencyKey: req.idempotency_key,
        providerRef: result.providerRef,
      });
      const refunded = row.amount_refunded + check.amount;
      const next = statusAfterRefund(row.amount_captured, refunded);
      assertTransition(row.status, next, 'refund');
      const updated = await q.setRefunded(tx, row.id, refunded, next);
      await emitPaymentEvent(tx, paymentEvents.refunded, updated, { id: inserted.id, amount: inserted.amount });
      return inserted;
    });
    this.opts.relay.kick();
    return q.toRefund(refund);
  }

  async listMethods(customer: string): Promise<z.infer<typeof ListMethodsResult>> {
    const [saved, offered] = await Promise.all([q.savedMethods(this.pool, customer), this.provider.listMethods(customer)]);
    return { methods: mergeMethods(saved.map((m) => ({ id: m.payment_method_id, brand: m.brand, last4: m.last4 })), offered) };
  }

  /**
   * One link per idempotency key; an advisory lock on the key serialises concurrent requests. A link
   * for an order records that order's pending payment in the same transaction, so a paid link always
   * has a payment to capture (and later refund).
   */
  async createCheckoutLink(req: z.infer<typeof CheckoutLinkRequest>): Promise<CheckoutLink> {
    return withTransaction(this.pool, async (tx) => {
      await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`checkout:${req.idempotency_key}`]);
      const existing = await q.findCheckoutLinkByKey(tx, req.idempotency_key);
      if (existing) {
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
      const expiresAt = new Date(Date.now() + (req.expires_in_minutes ?? this.opts.checkoutLinkTtlMinutes) * 60_000);
      const link = await this.provider.createCheckoutLink({
        cartId: req.cart_id,
        customer: req.customer,
        amount: req.amount,
        currency: req.currency,
        lineItems: req.line_items.map((i) => ({ name: i.name, quantity: i.quantity, unitAmount: i.unit_amount })),
        idempotencyKey: req.idempotency_key,
        expiresAt,
        ...(req.order_id ? { orderId: req.order_id } : {}),
      });
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
      await withTransaction(this.pool, async (tx) => {
        const row = await q.lockPendingWebhookEvent(tx, eventId);
        if (!row) return;
        await this.applyEvent(tx, this.provider.interpretEvent(row.payload));
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

  private async applyEvent(tx: pg.PoolClient, event: ProviderEvent): Promise<void> {
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
        const captured = link.payment_id ? await this.captureLinkPayment(tx, link, event.providerPaymentRef) : null;
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
        await enqueueEvent(tx, paymentEvents.checkoutCompleted, data);
        return;
      }
      case 'checkout_expired': {
        const link = await q.findCheckoutLink(tx, event.checkoutId, true);
        if (link?.status !== 'open') return;
        await q.setCheckoutLinkStatus(tx, link.id, 'expired', null);
        await this.closeLinkPayment(tx, link, 'checkout_expired', 'The checkout link expired before it was paid.');
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
  private async captureLinkPayment(tx: pg.PoolClient, link: q.CheckoutLinkRow, providerPaymentRef: string | null): Promise<q.PaymentRow | null> {
    const row = await this.locked(tx, link.payment_id!);
    if (!canTransition(row.status, 'captured', 'provider')) {
      this.logger.warn({ payment_id: row.id, checkout_id: link.id, status: row.status }, 'checkout paid for a payment that is already closed');
      return null;
    }
    // Only the provider's payment knows the card; Checkout's completion event does not carry it.
    const reported = providerPaymentRef ? await this.provider.retrieve(providerPaymentRef).catch(() => null) : null;
    const updated = await q.applyProviderPayment(
      tx,
      row.id,
      { ...unpaid, providerRef: providerPaymentRef, status: 'captured', amountCaptured: row.amount, method: reported?.method ?? unpaid.method },
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

  /** Voiding a link payment closes its link at the provider first, so it can no longer be paid. */
  private async closeLinkForVoid(tx: pg.PoolClient, link: q.CheckoutLinkRow): Promise<void> {
    if (link.status === 'open' && (await this.provider.expireCheckoutLink(link.id)) === 'complete') {
      throw new AppError('INVALID_TRANSITION', 'This payment was just completed on the checkout page, so it cannot be voided.', { checkout_id: link.id });
    }
    if (link.status === 'open') await q.setCheckoutLinkStatus(tx, link.id, link.expires_at <= new Date() ? 'expired' : 'canceled', null);
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

  private async locked(tx: pg.PoolClient, paymentId: string): Promise<q.PaymentRow> {
    const row = await q.lockPayment(tx, paymentId);
    if (!row) throw new AppError('PAYMENT_NOT_FOUND', 'No payment with that id.', { payment_id: paymentId });
    return row;
  }
}

/**
 * A payment that succeeded (authorised or captured, also after authentication through a webhook)
 * saves its method for the customer it was asked for, in the same transaction; saving twice keeps one.
 */
async function saveMethodIfAsked(tx: pg.PoolClient, row: q.PaymentRow): Promise<void> {
  if (row.status !== 'authorized' && row.status !== 'captured') return;
  if (!row.save_for_customer || !row.payment_method_id || !row.payment_method_brand || !row.payment_method_last4) return;
  await q.saveMethod(tx, { customer: row.save_for_customer, paymentMethodId: row.payment_method_id, brand: row.payment_method_brand, last4: row.payment_method_last4 });
}

/** A provider report with nothing charged and no method: the base for link payments' own changes. */
const unpaid: Omit<ProviderPayment, 'providerRef' | 'status'> = {
  amountCaptured: 0,
  method: { id: null, brand: null, last4: null },
  failureCode: null,
  failureMessage: null,
  nextActionUrl: null,
};

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

async function emitPaymentEvent(tx: pg.PoolClient, subject: string, row: q.PaymentRow, refund?: { id: string; amount: number }): Promise<void> {
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
  await enqueueEvent(tx, subject, data);
}
