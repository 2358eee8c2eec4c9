import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  AppError,
  cartApi,
  catalogApi,
  OrderCancelledEvent,
  orderEvents,
  OrderConfirmedEvent,
  paymentsApi,
  type CheckoutLink,
  type Order,
  type Payment,
  type PlaceExternalResult,
} from '@shop/contracts';
import { withTransaction } from '@shop/kit';
import { estimateDelivery } from '../domain/delivery.js';
import type { Actor } from '../domain/order-state.js';
import {
  checkCartPlaceable,
  closedLinkReason,
  checkoutExpiredReason,
  convertedByAnotherOrder,
  convertedElsewhereReason,
  declinedFallbackReason,
  linkReservationTtlSeconds,
  linkAlreadyPaidError,
  linkReplacement,
  linkUnavailableReason,
  paymentKeys,
  replacedByDirectPaymentReason,
  requiresActionReason,
  settledSteps,
  type PaymentVia,
} from '../domain/saga.js';
import {
  advanceStep,
  awaitPayment,
  markPaymentChecked,
  changeStatus,
  findById,
  findByKey,
  insertPending,
  isVisible,
  renderOrder,
  saveSnapshot,
  standingLinkOrders,
  startCompensation,
  supersede,
  type OrderRow,
} from '../db/orders.js';
import { isTransient, ownedBy, type WorkflowContext } from './context.js';

type PlaceRequest = z.infer<typeof import('@shop/contracts').PlaceOrderRequest>;
type PlaceExternalRequest = z.infer<typeof import('@shop/contracts').PlaceExternalRequest>;
/** What both placements ask: an external one has no payment method (the shopper picks it on the link's page). */
type OpenRequest = PlaceRequest | PlaceExternalRequest;

/** How long a duplicate request waits for the attempt holding its key to settle. */
const FOLLOW_WAIT_MS = 4_000;

const interruptedReason = 'We could not finish placing your order, so it was cancelled. You have not been charged.';
const lostReservationReason = 'Your items could not be held while your payment went through, so the order was cancelled and your payment refunded.';

/**
 * The placement saga. Each step is persisted before the next starts; a failure compensates what
 * was done (release stock, void or refund the payment). Recovery calls the same step functions.
 */
export class Placement {
  /** Sagas this process is driving right now, so recovery does not run them twice at once. */
  readonly inFlight = new Set<string>();

  constructor(private readonly ctx: WorkflowContext) {}

  async place(req: PlaceRequest): Promise<Order> {
    return this.open(req, 'saved_method');
  }

  /**
   * The same saga up to the stock reservation, then a checkout link for the order: the order stays
   * pending (payment `awaiting_payment`) until payments reports the link paid, cancelled or expired.
   */
  async placeExternal(req: PlaceExternalRequest): Promise<z.input<typeof PlaceExternalResult>> {
    const order = await this.open(req, 'checkout_link');
    if (order.status === 'cancelled' || order.status === 'payment_failed') {
      throw new AppError('UNAVAILABLE', order.reason ?? linkUnavailableReason, { order_id: order.id, order_number: order.number });
    }
    const row = (await findById(this.ctx.pool, order.id))!;
    if (!row.checkout_link_id) throw new AppError('UNAVAILABLE', 'Your checkout link is still being created. Please try again in a moment.', { order_id: order.id });
    return { order, checkout_link: linkOf(row) };
  }

  private async open(req: OpenRequest, via: PaymentVia): Promise<Order> {
    const paymentMethodArg = 'payment_method_id' in req ? (req.payment_method_id ?? null) : null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await findByKey(this.ctx.pool, req.cart_id, req.idempotency_key);
      if (existing) {
        const settled = await this.follow(existing, req, via);
        if (settled) return settled;
        continue; // a refusal for a passing cause (or a closed link) gave way: try again under the same key
      }
      const row = await withTransaction(this.ctx.pool, (tx) =>
        insertPending(tx, {
          id: randomUUID(),
          cartId: req.cart_id,
          idempotencyKey: req.idempotency_key,
          caller: req.caller,
          paymentMethodArg,
          externalPayment: via === 'checkout_link',
        }),
      );
      if (row) return this.drive(row.id, () => this.run(row, req, paymentMethodArg ?? undefined, via));
    }
    throw new AppError('UNAVAILABLE', 'Your order could not be placed right now. Please try again in a moment.');
  }

  /** Runs fn while marking the saga as driven by this process. */
  async drive<T>(orderId: string, fn: () => Promise<T>): Promise<T> {
    this.inFlight.add(orderId);
    try {
      return await fn();
    } finally {
      this.inFlight.delete(orderId);
    }
  }

  /** A request whose key is already taken: answer with that attempt's outcome. Null: start afresh. */
  private async follow(first: OrderRow, req: OpenRequest, via: PaymentVia): Promise<Order | null> {
    if (!ownedBy(first, req.caller) && !(first.caller.subject === req.caller.subject && first.caller.conversation === req.caller.conversation)) {
      throw new AppError('ORDER_NOT_FOUND', 'No order was found for this request');
    }
    if (first.external_payment !== (via === 'checkout_link')) {
      throw new AppError('IDEMPOTENCY_CONFLICT', 'This idempotency key was already used to place an order paid another way.', { idempotency_key: req.idempotency_key });
    }
    let row = first;
    const deadline = Date.now() + FOLLOW_WAIT_MS;
    while (!settledSteps.has(row.saga_step) && Date.now() < deadline) {
      await sleep(50);
      row = (await findById(this.ctx.pool, row.id))!;
    }
    // A link that was cancelled or expired unpaid leaves the cart as it was: asking again gets a new link.
    if (via === 'checkout_link' && row.saga_step === 'failed') {
      await supersede(this.ctx.pool, row.id);
      return null;
    }
    if (row.saga_step === 'refused') {
      if (row.refusal?.retryable) {
        await supersede(this.ctx.pool, row.id);
        return null;
      }
      throw AppError.fromBody(row.refusal ?? { code: 'UNAVAILABLE', message: interruptedReason });
    }
    if (isVisible(row)) return renderOrder(this.ctx.pool, row);
    throw new AppError('UNAVAILABLE', 'Your order is still being placed. Please try again in a moment.', { order_id: row.id });
  }

  private async run(row: OrderRow, req: OpenRequest, paymentMethodArg: string | undefined, via: PaymentVia): Promise<Order> {
    const { bus, pool, config } = this.ctx;
    // Step 2: re-validate and re-price through the cart service, as the shopper.
    let cart;
    try {
      // Before the cart is read: the link order's held stock must count as available again.
      if (via === 'saved_method') await this.replaceLinkOrders(row);
      cart = await bus.call(cartApi.get, { cart_id: req.cart_id, caller: req.caller });
      const placeable = checkCartPlaceable(cart, paymentMethodArg, req.expected_total, via);
      const saved = await withTransaction(pool, (tx) =>
        saveSnapshot(tx, row.id, { cart: cart!, ...placeable, estimatedDelivery: estimateDelivery(cart!.checkout.shipping_method!, row.created_at) }),
      );
      if (!saved) return this.current(row.id);
    } catch (e) {
      throw await this.refuse(row.id, ['created'], e);
    }

    // Step 3: reserve every line, all or nothing, under the order id.
    try {
      await bus.call(catalogApi.reserve, {
        order_id: row.id,
        lines: cart.lines.map((l) => ({ variant_id: l.variant_id, quantity: l.quantity })),
        ttl_seconds:
          via === 'checkout_link' ? linkReservationTtlSeconds(config.ORDERS_CHECKOUT_LINK_TTL_MINUTES, config.ORDERS_RESERVATION_TTL_S) : config.ORDERS_RESERVATION_TTL_S,
      });
    } catch (e) {
      await this.returnStock(row.id);
      // The catalog's OUT_OF_STOCK already names each short item and how many are available.
      throw await this.refuse(row.id, ['validated'], e);
    }
    if (!(await withTransaction(pool, (tx) => advanceStep(tx, row.id, ['validated'], 'reserved')))) return this.current(row.id);
    this.ctx.afterStep(row.id, 'reserved');
    return via === 'checkout_link' ? this.requestLink(row.id) : this.charge(row.id);
  }

  /**
   * Step 4 of a link placement: a checkout link for this order's total; payments records the
   * order's pending payment with it. Whether or not a failed request created one, compensating voids
   * whatever payment exists, which closes its link.
   */
  private async requestLink(orderId: string): Promise<Order> {
    const { bus, pool, config } = this.ctx;
    const row = (await findById(pool, orderId))!;
    if (row.saga_step !== 'reserved') return this.current(orderId);
    const order = await renderOrder(pool, row);
    let link: CheckoutLink;
    try {
      link = await bus.call(
        paymentsApi.createCheckoutLink,
        {
          cart_id: row.cart_id,
          customer: row.customer!,
          amount: row.total!,
          currency: row.currency,
          line_items: order.lines.map((l) => ({ name: l.name.slice(0, 200), quantity: l.quantity, unit_amount: l.unit_price })),
          idempotency_key: paymentKeys.link(orderId),
          order_id: orderId,
          expires_in_minutes: config.ORDERS_CHECKOUT_LINK_TTL_MINUTES,
        },
        { timeoutMs: 15_000 },
      );
    } catch (e) {
      this.ctx.logger.warn({ order_id: orderId, code: (e as AppError).code }, 'checkout link could not be created');
      return this.compensate(orderId, ['reserved'], 'cancelled', linkUnavailableReason);
    }
    await withTransaction(pool, (tx) => awaitPayment(tx, orderId, { id: link.id, url: link.url, expiresAt: link.expires_at, paymentId: link.payment_id ?? null }));
    this.ctx.afterStep(orderId, 'awaiting_payment');
    return this.current(orderId);
  }

  /**
   * A direct placement replaces the cart's link orders: one awaiting payment is cancelled as
   * cancel_order would (its payment voided, which closes the link, and its stock released); one whose
   * link was paid refuses this placement, so the cart is never paid twice.
   */
  private async replaceLinkOrders(direct: OrderRow): Promise<void> {
    for (const linked of await standingLinkOrders(this.ctx.pool, direct.cart_id)) {
      const paid = linked.saga_step !== 'awaiting_payment' || (await this.drive(linked.id, () => this.closeForDirectPayment(linked.id, direct.number)));
      if (paid) throw linkAlreadyPaidError(linked);
    }
  }

  /** Closes an awaiting link order for a direct placement; true when its link turned out to be paid. */
  private async closeForDirectPayment(orderId: string, directNumber: string): Promise<boolean> {
    let payment = await this.paymentOf(orderId);
    let outcome = linkReplacement(payment?.status ?? null);
    if (outcome === 'close' && payment) {
      try {
        await this.ctx.bus.call(paymentsApi.void, { payment_id: payment.id });
      } catch (e) {
        if (!(e instanceof AppError && e.code === 'INVALID_TRANSITION')) throw e;
        // Refused: the link was paid (or closed) just now. A payment still pending was completed on the page and is being captured.
        payment = await this.paymentOf(orderId);
        outcome = payment?.status === 'pending' ? 'paid' : linkReplacement(payment?.status ?? null);
      }
    }
    if (outcome === 'paid') {
      // Confirm it now rather than wait for the captured event: the refusal names an order that is confirmed.
      if (payment?.status === 'captured') await this.linkPaid(orderId, payment);
      return true;
    }
    const reason = outcome === 'closed' ? closedLinkReason(payment!.failure_code) : replacedByDirectPaymentReason(directNumber);
    const order = await this.linkClosed(orderId, reason, 'shopper');
    return order.status === 'confirmed';
  }

  private async paymentOf(orderId: string): Promise<Payment | null> {
    return this.ctx.bus.call(paymentsApi.getByOrder, { order_id: orderId }).catch((e) => {
      if (e instanceof AppError && e.code === 'PAYMENT_NOT_FOUND') return null;
      throw e;
    });
  }

  /** The link was paid (payments captured the order's payment): confirm exactly as a charged order. */
  async linkPaid(orderId: string, payment: Payment): Promise<Order> {
    const pm = { id: payment.id, status: payment.status, brand: payment.payment_method.brand, last4: payment.payment_method.last4 };
    if (await withTransaction(this.ctx.pool, (tx) => advanceStep(tx, orderId, ['awaiting_payment'], 'charged', { payment_id: payment.id, status: payment.status, via: 'checkout_link' }, pm))) {
      this.ctx.afterStep(orderId, 'charged');
    }
    return this.confirm(orderId);
  }

  /** The link will not be paid (cancelled on its page, expired, or the shopper cancelled the order): give everything back. */
  async linkClosed(orderId: string, reason: string, actor: Actor = 'system'): Promise<Order> {
    return this.compensate(orderId, ['awaiting_payment'], 'cancelled', reason, actor);
  }

  /**
   * Recovery's look at an order awaiting its link's payment, for events it may have missed: a
   * captured payment confirms it, a closed one compensates, an open one past the link's expiry is
   * closed (voiding it closes the link) and compensated.
   */
  async checkLinkPayment(orderId: string): Promise<void> {
    const row = (await findById(this.ctx.pool, orderId))!;
    if (row.saga_step !== 'awaiting_payment') return;
    const payment = await this.paymentOf(orderId);
    if (payment?.status === 'captured') {
      await this.linkPaid(orderId, payment);
    } else if (payment && payment.status !== 'pending') {
      await this.linkClosed(orderId, closedLinkReason(payment.failure_code));
    } else if (row.checkout_expires_at && row.checkout_expires_at <= new Date()) {
      await this.linkClosed(orderId, checkoutExpiredReason);
    } else {
      await markPaymentChecked(this.ctx.pool, orderId);
    }
  }

  /** Step 4 (also recovery's resume): charge the total; the idempotency key makes a repeat return the same payment. */
  async charge(orderId: string): Promise<Order> {
    const { bus, pool } = this.ctx;
    await withTransaction(pool, (tx) => advanceStep(tx, orderId, ['reserved'], 'charging'));
    const row = (await findById(pool, orderId))!;
    if (row.saga_step !== 'charging') return this.current(orderId);
    if (row.total === 0) {
      await withTransaction(pool, (tx) => advanceStep(tx, orderId, ['charging'], 'charged', { amount: 0 }));
      this.ctx.afterStep(orderId, 'charged');
      return this.confirm(orderId);
    }
    let payment: Payment;
    try {
      payment = await bus.call(
        paymentsApi.authorize,
        {
          order_id: orderId,
          amount: row.total!,
          currency: row.currency,
          idempotency_key: paymentKeys.charge(orderId),
          payment_method_id: row.payment_method_id!,
          customer: row.customer!,
          capture: true,
          description: `Order ${row.number}`,
          ...(row.save_payment_method_for ? { save_for_customer: row.save_payment_method_for } : {}),
        },
        { timeoutMs: 15_000 },
      );
    } catch (e) {
      // Unknown whether the charge happened: recovery asks again with the same key.
      if (isTransient(e)) return this.current(orderId);
      const err = e instanceof AppError ? e : new AppError('PAYMENT_DECLINED', declinedFallbackReason);
      const reason = err.code === 'PAYMENT_REQUIRES_ACTION' ? requiresActionReason : err.message;
      return this.compensate(orderId, ['charging'], 'payment_failed', reason);
    }
    if (payment.status === 'captured' || payment.status === 'authorized') {
      const pm = { id: payment.id, status: payment.status, brand: payment.payment_method.brand, last4: payment.payment_method.last4 };
      await withTransaction(pool, (tx) => advanceStep(tx, orderId, ['charging'], 'charged', { payment_id: payment.id, status: payment.status }, pm));
      this.ctx.afterStep(orderId, 'charged');
      return this.confirm(orderId);
    }
    await this.recordPayment(orderId, payment);
    const reason = payment.status === 'requires_action' ? requiresActionReason : (payment.failure_message ?? declinedFallbackReason);
    return this.compensate(orderId, ['charging'], 'payment_failed', reason);
  }

  /** Step 5 (also recovery's resume): commit stock, convert the cart, confirm with the event. */
  async confirm(orderId: string): Promise<Order> {
    const { bus, pool, logger } = this.ctx;
    const row = (await findById(pool, orderId))!;
    if (row.saga_step !== 'charged') return this.current(orderId);
    try {
      await bus.call(catalogApi.commit, { order_id: orderId });
    } catch (e) {
      if (isTransient(e)) return this.current(orderId);
      logger.warn({ order_id: orderId, code: (e as AppError).code }, 'reservation could not be committed; refunding');
      return this.compensate(orderId, ['charged'], 'cancelled', lostReservationReason);
    }
    try {
      await bus.call(cartApi.convert, { cart_id: row.cart_id, order_id: orderId });
    } catch (e) {
      if (isTransient(e)) return this.current(orderId);
      // The cart is already another order (a link paid after the cart was ordered another way): this one must not stand.
      const other = convertedByAnotherOrder(e, orderId);
      if (other) {
        logger.warn({ order_id: orderId, other_order_id: other }, 'cart already converted by another order; refunding');
        return this.compensate(orderId, ['charged'], 'cancelled', convertedElsewhereReason((await findById(pool, other))?.number ?? null));
      }
      // The order is paid and its stock committed; a cart that cannot be converted (expired) does not undo that.
      logger.warn({ order_id: orderId, code: (e as AppError).code }, 'cart could not be converted');
    }
    const data = OrderConfirmedEvent.parse({
      order_id: orderId,
      order_number: row.number,
      cart_id: row.cart_id,
      owner_subject: row.owner_subject,
      conversation: row.conversation,
      coupon_code: row.coupon?.code ?? null,
      total: row.total,
      currency: row.currency,
    });
    const confirmed = await withTransaction(pool, (tx) =>
      changeStatus(tx, orderId, {
        status: 'confirmed',
        actor: 'system',
        reason: null,
        step: 'confirmed',
        fromStatuses: ['pending'],
        fromSteps: ['charged'],
        event: { subject: orderEvents.confirmed, data },
      }),
    );
    if (confirmed) this.ctx.relay.kick();
    return this.current(orderId);
  }

  /**
   * Undoes what the saga did (stock, payment) and ends the order payment_failed or cancelled with
   * the shopper's reason. Recovery re-enters here for a compensation that was interrupted.
   */
  async compensate(orderId: string, from: Array<OrderRow['saga_step']>, outcome: 'payment_failed' | 'cancelled', reason: string, actor: Actor = 'system'): Promise<Order> {
    const { pool, bus } = this.ctx;
    if (from.length && !(await withTransaction(pool, (tx) => startCompensation(tx, orderId, from, outcome, reason)))) {
      const now = (await findById(pool, orderId))!;
      if (now.saga_step !== 'compensating') return this.current(orderId);
    }
    const row = (await findById(pool, orderId))!;
    // The reason recorded when compensation began wins, so a resumed compensation repeats the same refund request.
    const why = row.reason ?? reason;
    await this.returnStock(orderId);
    const payment = await this.paymentOf(orderId);
    let paymentStatus: string | undefined;
    let refundAmount = 0;
    if (payment?.status === 'captured' || payment?.status === 'partially_refunded') {
      refundAmount = (await bus.call(paymentsApi.refund, { payment_id: payment.id, idempotency_key: paymentKeys.refund(orderId), reason: why })).amount;
      paymentStatus = 'refunded';
    } else if (payment?.status === 'authorized' || payment?.status === 'requires_action' || payment?.status === 'pending') {
      paymentStatus = (await bus.call(paymentsApi.void, { payment_id: payment.id })).status;
    } else if (payment) {
      // A resumed compensation finds the refund already made.
      paymentStatus = payment.status;
      refundAmount = payment.amount_refunded;
    }
    const status = row.compensate_to ?? outcome;
    const data = OrderCancelledEvent.parse({ order_id: orderId, order_number: row.number, cart_id: row.cart_id, reason: why, refund_amount: refundAmount, currency: row.currency });
    const done = await withTransaction(pool, (tx) =>
      changeStatus(tx, orderId, {
        status,
        actor,
        reason: why,
        step: 'failed',
        fromStatuses: ['pending'],
        fromSteps: ['compensating'],
        paymentStatus,
        event: { subject: status === 'payment_failed' ? orderEvents.paymentFailed : orderEvents.cancelled, data },
      }),
    );
    if (done) this.ctx.relay.kick();
    return this.current(orderId);
  }

  /** A placement that never became an order (nothing charged): refused, with the answer kept for retries. */
  async refuse(orderId: string, from: Array<OrderRow['saga_step']>, e: unknown): Promise<AppError> {
    const err = e instanceof AppError ? e : new AppError('INTERNAL', 'Something went wrong on our side. Please try again.');
    if (err.code === 'INTERNAL') this.ctx.logger.error({ err: e, order_id: orderId }, 'placement failed');
    await withTransaction(this.ctx.pool, (tx) =>
      changeStatus(tx, orderId, { status: 'cancelled', actor: 'system', reason: err.message, step: 'refused', refusal: err.toBody(), fromStatuses: ['pending'], fromSteps: from }),
    );
    return err;
  }

  /** Stale sagas before the charge: nothing was paid, so give the stock back and close them. */
  async abandon(orderId: string): Promise<void> {
    const row = (await findById(this.ctx.pool, orderId))!;
    if (row.saga_step === 'created') {
      await this.refuse(orderId, ['created'], new AppError('UNAVAILABLE', interruptedReason));
      return;
    }
    await this.compensate(orderId, ['validated', 'reserved'], 'cancelled', interruptedReason);
  }

  /**
   * Gives the order's stock back: restock releases a reservation still held and puts back one already
   * committed (a paid order cancelled after its commit, because its cart became another order).
   */
  private async returnStock(orderId: string): Promise<void> {
    await this.ctx.bus.call(catalogApi.restock, { order_id: orderId }).catch((e) => {
      // Nothing was reserved (the reservation was refused): nothing to undo.
      if (e instanceof AppError && e.code === 'RESERVATION_NOT_FOUND') return;
      throw e;
    });
  }

  private async recordPayment(orderId: string, p: Payment): Promise<void> {
    await this.ctx.pool.query('update orders set payment_id = $2, payment_status = $3, payment_brand = $4, payment_last4 = $5, updated_at = now() where id = $1', [
      orderId,
      p.id,
      p.status,
      p.payment_method.brand,
      p.payment_method.last4,
    ]);
  }

  /**
   * A payment captured for an order that is no longer waiting for it (cancelled, or its link closed
   * while the shopper paid): the shopper must not pay for nothing, so it is refunded in full. Same key
   * as compensation's refund, so the money goes back once.
   */
  async refundOrphanPayment(orderId: string, paymentId: string): Promise<void> {
    const row = await findById(this.ctx.pool, orderId);
    // A charged or confirmed order was paid by it; a compensation under way refunds what it finds itself.
    if (!row || (row.saga_step !== 'failed' && row.saga_step !== 'refused')) return;
    const refund = await this.ctx.bus.call(paymentsApi.refund, { payment_id: paymentId, idempotency_key: paymentKeys.refund(orderId), reason: row.reason ?? 'Your order was cancelled.' });
    this.ctx.logger.warn({ order_id: orderId, payment_id: paymentId, amount: refund.amount }, 'payment captured for a closed order; refunded');
  }

  async current(orderId: string): Promise<Order> {
    const row = (await findById(this.ctx.pool, orderId))!;
    if (!isVisible(row)) throw AppError.fromBody(row.refusal ?? { code: 'UNAVAILABLE', message: 'Your order is still being placed. Please try again in a moment.' });
    return renderOrder(this.ctx.pool, row);
  }
}

/** The link of an order that was not refused or cancelled unpaid: open while the order waits for payment, then paid. */
function linkOf(row: OrderRow): CheckoutLink {
  const status: CheckoutLink['status'] =
    row.saga_step === 'awaiting_payment' ? (row.checkout_expires_at! > new Date() ? 'open' : 'expired') : row.saga_step === 'compensating' ? 'canceled' : 'completed';
  return { id: row.checkout_link_id!, url: row.checkout_url!, status, expires_at: row.checkout_expires_at!.toISOString(), payment_id: row.payment_id };
}
