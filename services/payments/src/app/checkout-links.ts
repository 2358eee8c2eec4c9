import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { z } from 'zod';
import { AppError, paymentEvents, type CheckoutCompletedEventData, type CheckoutLink, type CheckoutLinkRequest } from '@shop/contracts';
import { publishEvent, withTransaction } from '@shop/kit';
import { canTransition } from '../domain/payment-state.js';
import type { MethodSummary, ProviderCheckoutLink, ProviderEvent } from '../domain/provider.js';
import { asProviderError } from '../domain/provider-errors.js';
import * as q from '../db/queries.js';
import { DUPLICATE_WAIT_MS, emitPaymentEvent, isRetryable, lockPayment, POLL_MS, stillProcessing, unpaid, type PaymentsContext } from './shared.js';

type CheckoutCompleted = Extract<ProviderEvent, { kind: 'checkout_completed' }>;

/**
 * Hosted checkout links: created at the provider (for a cart, or for an order with its pending
 * payment), cancelled on the demo page, completed or expired by the provider's events.
 */
export class CheckoutLinks {
  constructor(
    private readonly ctx: PaymentsContext,
    private readonly ttlMinutes: number,
  ) {}

  /**
   * One link per idempotency key. The intent is committed first, the provider asked (same key) outside
   * any transaction, and the link recorded in a new one under an advisory lock on the key, which also
   * serialises concurrent requests. A link for an order records that order's pending payment in that
   * same transaction, so a paid link always has a payment to capture (and later refund).
   */
  async create(req: z.infer<typeof CheckoutLinkRequest>): Promise<CheckoutLink> {
    const existing = await q.findCheckoutLinkByKey(this.ctx.pool, req.idempotency_key);
    if (existing) return sameLink(existing, req);
    const claimed = await q.claimLinkIntent(this.ctx.pool, req.idempotency_key, req, this.ctx.calls.staleBefore());
    if (!claimed) {
      // Another request with this key is asking the provider: its link is the answer.
      const deadline = Date.now() + DUPLICATE_WAIT_MS;
      while (Date.now() < deadline) {
        await sleep(POLL_MS);
        const link = await q.findCheckoutLinkByKey(this.ctx.pool, req.idempotency_key);
        if (link) return sameLink(link, req);
        if (!(await q.findLinkIntent(this.ctx.pool, req.idempotency_key))) return this.create(req);
      }
      throw stillProcessing();
    }
    return this.finishClaimed(req);
  }

  /** The provider call of a claimed link intent (by its request, or by the sweep), and the link recorded. */
  async finishClaimed(req: z.infer<typeof CheckoutLinkRequest>): Promise<CheckoutLink> {
    const expiresAt = new Date(Date.now() + (req.expires_in_minutes ?? this.ttlMinutes) * 60_000);
    let link: ProviderCheckoutLink;
    try {
      link = await this.ctx.provider.createCheckoutLink({
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
      if (isRetryable(e)) await q.releaseLinkIntent(this.ctx.pool, req.idempotency_key);
      else await q.deleteLinkIntent(this.ctx.pool, req.idempotency_key);
      throw asProviderError(e);
    }
    return withTransaction(this.ctx.pool, async (tx) => {
      await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`checkout:${req.idempotency_key}`]);
      const recorded = await q.findCheckoutLinkByKey(tx, req.idempotency_key);
      if (recorded) return sameLink(recorded, req);
      let row = await q.insertCheckoutLink(tx, {
        id: link.id,
        provider: this.ctx.provider.name,
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
          provider: this.ctx.provider.name,
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

  /** The stored row, for the demo provider's pages. */
  async find(id: string): Promise<q.CheckoutLinkRow | null> {
    return q.findCheckoutLink(this.ctx.pool, id);
  }

  /** A shopper cancelled on the demo checkout page: the link closes, nothing was charged. */
  async cancel(id: string): Promise<void> {
    await withTransaction(this.ctx.pool, async (tx) => {
      const link = await q.findCheckoutLink(tx, id, true);
      if (link?.status !== 'open') return;
      await q.setCheckoutLinkStatus(tx, id, 'canceled', null);
      await this.closeLinkPayment(tx, link, 'checkout_canceled', 'The payment was cancelled on the checkout page.');
    });
    this.ctx.relay.kick();
  }

  /** The provider's checkout completed event, in the webhook's transaction: the link completes, its payment (if any) is captured, evt.payment.checkout_completed emitted. */
  async recordCompleted(tx: pg.PoolClient, event: CheckoutCompleted, method: MethodSummary | null): Promise<void> {
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
  }

  /** The provider's checkout expired event, in the webhook's transaction: an open link expires, its payment is canceled. */
  async recordExpired(tx: pg.PoolClient, checkoutId: string): Promise<void> {
    const link = await q.findCheckoutLink(tx, checkoutId, true);
    if (link?.status !== 'open') return;
    await q.setCheckoutLinkStatus(tx, link.id, 'expired', null);
    await this.closeLinkPayment(tx, link, 'checkout_expired', 'The checkout link expired before it was paid.');
  }

  /**
   * The shopper paid a link created for an order: its pending payment becomes captured, under the
   * provider's payment id (what refunds address), with the card's brand and last 4 when the provider
   * reports them. A payment already closed (voided as the link was paid) is left for a refund.
   */
  private async captureLinkPayment(tx: pg.PoolClient, link: q.CheckoutLinkRow, providerPaymentRef: string | null, method: MethodSummary | null): Promise<q.PaymentRow | null> {
    const row = await lockPayment(tx, link.payment_id!);
    if (!canTransition(row.status, 'captured', 'provider')) {
      this.ctx.logger.warn({ payment_id: row.id, checkout_id: link.id, status: row.status }, 'checkout paid for a payment that is already closed');
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
    const row = await lockPayment(tx, link.payment_id);
    if (!canTransition(row.status, 'canceled', 'provider')) return;
    const updated = await q.applyProviderPayment(tx, row.id, { ...unpaid, providerRef: null, status: 'canceled', failureCode: code, failureMessage: message }, 'canceled');
    await emitPaymentEvent(tx, paymentEvents.canceled, updated);
  }
}

/** A replay of a link's key answers the recorded link, if the request is the same. */
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
