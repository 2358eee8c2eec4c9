import { randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  AppError,
  cartApi,
  catalogApi,
  OrderCancelledEvent,
  OrderDeliveredEvent,
  orderEvents,
  OrderRefundedEvent,
  OrderShippedEvent,
  pageInfo,
  paymentsApi,
  RETURN_WINDOW_DAYS,
  type CancelOrderRequest,
  type Caller,
  type Cart,
  type ListOrdersRequest,
  type ListOrdersResult,
  type Order,
  type Payment,
  type RefundOrderRequest,
  type ReorderRequest,
  type ReorderResult,
} from '@shop/contracts';
import type { PoolClient } from 'pg';
import { withTransaction } from '@shop/kit';
import { assertTransition, canTransition, returnWindowOpen } from '../domain/order-state.js';
import { makeTracking } from '../domain/tracking.js';
import { changeStatus, findById, findByRef, listOrders, renderOrder, snapshotOf, type OrderRow } from '../db/orders.js';
import {
  claimIntent,
  deliveredAt,
  endIntent,
  insertIntent,
  lockOrder,
  pendingIntent,
  recordAmountRefunded,
  releaseIntent,
  staleIntents,
  type RefundIntentRow,
} from '../db/refunds.js';
import { isTransient, visibleTo, type WorkflowContext } from './context.js';
import { releaseCouponFor } from './placement/reserve-coupon.js';
import type { Placement } from './placement.js';

type Req<S extends z.ZodType> = z.infer<S>;

/** Intents this process is working on, so its sweep leaves them alone. */
const intentsInFlight = new Set<string>();

/** Fulfilment waits while money is going back on the order (a cancellation or return under way). */
async function refuseWhileRefunding(tx: PoolClient, row: OrderRow, to: 'shipped' | 'delivered'): Promise<void> {
  const pending = await pendingIntent(tx, row.id);
  if (pending) throw new AppError('INVALID_TRANSITION', `Order ${row.number} is being ${pending.kind === 'cancel' ? 'cancelled' : 'refunded'}, so it cannot be ${to}`, { from: row.status, to, intent: pending.kind });
}

function refundInProgress(row: OrderRow): AppError {
  return new AppError('INVALID_TRANSITION', `A refund of order ${row.number} is already under way. Please check again in a moment.`, { order_id: row.id });
}

/** Status, history, cancellation, fulfilment and reorder of placed orders. */
export class Lifecycle {
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly placement: Placement,
  ) {}

  async get(ref: string, caller: Caller | undefined): Promise<Order> {
    const row = visibleTo(await findByRef(this.ctx.pool, ref), caller, ref);
    return renderOrder(this.ctx.pool, row);
  }

  async list(req: Req<typeof ListOrdersRequest>): Promise<z.input<typeof ListOrdersResult>> {
    const { subject, conversation } = req.caller;
    if (!subject && !conversation) throw new AppError('INVALID_INPUT', 'Invalid caller: a subject or a conversation is required', { field: 'caller', rule: 'required' });
    const { rows, total } = await listOrders(this.ctx.pool, subject ? { subject } : { conversation }, req.page, req.per_page);
    return {
      items: rows.map((r) => ({
        id: r.id,
        number: r.number,
        status: r.status,
        total: r.total,
        currency: r.currency,
        item_count: r.item_count,
        created_at: r.created_at.toISOString(),
        estimated_delivery: { earliest: r.delivery_earliest, latest: r.delivery_latest },
        first_item_name: r.first_item_name,
      })),
      page_info: pageInfo(req.page, req.per_page, total),
    };
  }

  /**
   * Cancels a confirmed order: payment refunded (or voided), stock back, status cancelled. The intent
   * is committed under the order's row lock first (fulfilment refuses an order with one pending), then
   * payments and the catalog are asked with no lock held, then the status changes in a new transaction.
   */
  async cancel(req: Req<typeof CancelOrderRequest>): Promise<Order> {
    const reason = req.reason || 'Cancelled at your request';
    const found = visibleTo(await findByRef(this.ctx.pool, req.order_id), req.caller, req.order_id);
    if (found.saga_step === 'awaiting_payment') {
      // Not paid yet: voiding the payment closes the checkout link, and the stock goes back.
      const order = await this.placement.drive(found.id, () => this.placement.linkClosed(found.id, reason, 'shopper'));
      // Paid just before the link closed: the order was confirmed; cancel it as any confirmed order (refund).
      if (order.status !== 'confirmed') return order;
    }
    const intent = await this.openIntent(req.order_id, req.caller, 'cancel', (row) => {
      if (row.status === 'cancelled') return false;
      assertTransition(row, 'cancelled', 'shopper');
      return true;
    }, { actor: 'shopper', reason });
    if (intent) await this.runIntent(intent);
    return this.get(found.id, undefined);
  }

  /**
   * A return: refunds what is still captured on a shipped order, or a delivered one within the
   * returns window (RETURN_WINDOW_DAYS after delivery), and the order becomes refunded. Same
   * intent-first shape as cancel.
   */
  async refund(req: Req<typeof RefundOrderRequest>): Promise<Order> {
    const reason = req.reason || 'Refunded at your request';
    const intent = await this.openIntent(req.order_id, req.caller, 'return', async (row, tx) => {
      if (row.status === 'refunded') return false;
      assertTransition(row, 'refunded', 'shopper');
      const delivered = await deliveredAt(tx, row.id);
      if (!returnWindowOpen(row.status, delivered, new Date(), RETURN_WINDOW_DAYS)) {
        throw new AppError(
          'INVALID_TRANSITION',
          `Order ${row.number} was delivered on ${delivered!.toISOString().slice(0, 10)}, more than ${RETURN_WINDOW_DAYS} days ago, so it can no longer be refunded under our returns policy`,
          { from: row.status, to: 'refunded', rule: 'return_window', return_window_days: RETURN_WINDOW_DAYS },
        );
      }
      if (!row.payment_id) throw new AppError('INVALID_TRANSITION', `Order ${row.number} has no payment to refund`, { from: row.status, to: 'refunded' });
      return true;
    }, { actor: 'shopper', reason });
    if (intent) await this.runIntent(intent);
    const order = await this.get(req.order_id, req.caller);
    return order;
  }

  async ship(ref: string): Promise<Order> {
    return this.locked(ref, undefined, async (tx, row) => {
      assertTransition(row, 'shipped', 'fulfilment');
      await refuseWhileRefunding(tx, row, 'shipped');
      const tracking = makeTracking(snapshotOf(row).shipping_method, String(randomInt(1e9)).padStart(9, '0') + String(randomInt(1e9)).padStart(9, '0'), this.ctx.config.TRACKING_BASE_URL);
      await changeStatus(tx, row.id, {
        status: 'shipped',
        actor: 'fulfilment',
        reason: null,
        fromStatuses: ['confirmed'],
        tracking,
        event: { subject: orderEvents.shipped, data: OrderShippedEvent.parse({ order_id: row.id, order_number: row.number, tracking }) },
      });
    });
  }

  async deliver(ref: string): Promise<Order> {
    return this.locked(ref, undefined, async (tx, row) => {
      assertTransition(row, 'delivered', 'fulfilment');
      await refuseWhileRefunding(tx, row, 'delivered');
      await changeStatus(tx, row.id, {
        status: 'delivered',
        actor: 'fulfilment',
        reason: null,
        fromStatuses: ['shipped'],
        event: { subject: orderEvents.delivered, data: OrderDeliveredEvent.parse({ order_id: row.id, order_number: row.number }) },
      });
    });
  }

  /**
   * evt.payment.refunded, after the consumer read the payment back from payments: the amount is
   * recorded; a full refund that orders did not ask for (made at payments directly) moves the order
   * to refunded (stock back first if it had not shipped). A refund orders asked for is finished by
   * the intent that asked.
   */
  async paymentRefunded(tx: PoolClient, payment: Payment): Promise<RefundIntentRow | null> {
    const id = await lockOrder(tx, payment.order_id);
    const row = id ? await findById(tx, id) : null;
    if (!row || row.payment_id !== payment.id) return null;
    await recordAmountRefunded(tx, row.id, payment.amount_refunded);
    if (payment.status !== 'refunded' || (await pendingIntent(tx, row.id))) return null;
    if (!canTransition(row.status, 'refunded', 'system')) return null;
    return insertIntent(tx, {
      id: randomUUID(),
      orderId: row.id,
      kind: 'payment',
      actor: 'system',
      reason: 'Your payment was refunded in full.',
      fromStatus: row.status,
      idempotencyKey: null,
      amount: payment.amount_refunded,
    });
  }

  /** Finishes an intent the payment-event consumer opened; a failure is left to the sweep. */
  async finish(intent: RefundIntentRow): Promise<void> {
    await this.runIntent(intent).catch((e) => this.ctx.logger.warn({ order_id: intent.order_id, intent_id: intent.id, err: (e as Error).message }, 'refund intent not finished yet; the sweep retries'));
  }

  /** Finishes intents a crash or a lost answer left pending (older than the saga grace), as their caller would. */
  async sweepIntents(): Promise<number> {
    const staleBefore = this.staleBefore();
    let finished = 0;
    for (const stale of await staleIntents(this.ctx.pool, staleBefore)) {
      if (intentsInFlight.has(stale.id)) continue;
      const claimed = await claimIntent(this.ctx.pool, stale.id, staleBefore);
      if (!claimed) continue;
      await this.runIntent(claimed).then(
        () => finished++,
        (e) => this.ctx.logger.warn({ order_id: stale.order_id, intent_id: stale.id, err: (e as Error).message }, 'refund intent could not be finished; will retry'),
      );
    }
    return finished;
  }

  /**
   * Under the order's row lock: the shopper's order, no other refund pending, the change allowed
   * (check answers false when it already happened). A pending intent of the same kind nobody works on is
   * taken over (a retry after a lost answer); one being worked on answers "in progress".
   */
  private async openIntent(
    ref: string,
    caller: Caller,
    kind: 'cancel' | 'return',
    check: (row: OrderRow, tx: PoolClient) => boolean | Promise<boolean>,
    what: { actor: 'shopper'; reason: string },
  ): Promise<RefundIntentRow | null> {
    return withTransaction(this.ctx.pool, async (tx) => {
      const id = await lockOrder(tx, ref);
      const row = visibleTo(id ? await findById(tx, id) : null, caller, ref);
      const pending = await pendingIntent(tx, row.id);
      if (pending) {
        if (pending.kind !== kind) throw refundInProgress(row);
        const claimed = await claimIntent(tx, pending.id, this.staleBefore());
        if (!claimed) throw new AppError('UNAVAILABLE', `Order ${row.number} is being ${kind === 'cancel' ? 'cancelled' : 'refunded'} right now. Please check again in a moment.`, { order_id: row.id });
        return claimed;
      }
      if (!(await check(row, tx))) return null;
      const intentId = randomUUID();
      return insertIntent(tx, { id: intentId, orderId: row.id, kind, actor: what.actor, reason: what.reason, fromStatus: row.status, idempotencyKey: `order:${row.id}:${kind}:${intentId}` });
    });
  }

  /**
   * Does what an intent asks, with no transaction open: money back (refund, or void an authorisation),
   * stock back for an order that had not shipped, the coupon use released for a cancellation; then the
   * status change, its event and the intent's end in one transaction. A retryable failure leaves the
   * intent for a retry or the sweep; a refusal before any money moved ends it failed.
   */
  private async runIntent(intent: RefundIntentRow): Promise<void> {
    const { bus, pool } = this.ctx;
    intentsInFlight.add(intent.id);
    let moneyMoved = intent.kind === 'payment';
    try {
      const row = (await findById(pool, intent.order_id))!;
      let paymentStatus: string | undefined;
      let refunded = 0;
      if (intent.kind !== 'payment' && row.payment_id) {
        const payment = await bus.call(paymentsApi.get, { payment_id: row.payment_id });
        if (payment.status === 'captured' || payment.status === 'partially_refunded') {
          refunded = (await bus.call(paymentsApi.refund, { payment_id: payment.id, idempotency_key: intent.idempotency_key!, reason: intent.reason, requested_by: 'orders' })).amount;
          paymentStatus = 'refunded';
        } else if (payment.status === 'refunded') {
          // Refunded already: by this intent before a crash (the key answers the same refund), or at payments.
          refunded = await bus
            .call(paymentsApi.refund, { payment_id: payment.id, idempotency_key: intent.idempotency_key!, reason: intent.reason, requested_by: 'orders' })
            .then((r) => r.amount, (e) => (e instanceof AppError && e.code === 'REFUND_EXCEEDS_CAPTURED' ? 0 : Promise.reject(e)));
          paymentStatus = 'refunded';
        } else if (payment.status === 'authorized' && intent.kind === 'cancel') {
          paymentStatus = (await bus.call(paymentsApi.void, { payment_id: payment.id })).status;
        } else if (intent.kind === 'return') {
          throw new AppError('INVALID_TRANSITION', `Order ${row.number} has no captured payment to refund`, { payment_status: payment.status });
        }
      }
      moneyMoved = true;
      const total = row.payment_id ? (await bus.call(paymentsApi.get, { payment_id: row.payment_id })).amount_refunded : 0;
      if (intent.from_status === 'confirmed') {
        await bus.call(catalogApi.restock, { order_id: row.id }).catch((e) => (e instanceof AppError && e.code === 'RESERVATION_NOT_FOUND' ? undefined : Promise.reject(e)));
      }
      if (intent.kind === 'cancel') await this.releaseCoupon(row);
      const done = await withTransaction(pool, async (tx) => {
        await lockOrder(tx, row.id);
        if (!(await endIntent(tx, intent.id, { status: 'done', amount: intent.kind === 'payment' ? total : refunded }))) return false;
        await recordAmountRefunded(tx, row.id, total);
        if (intent.kind === 'cancel') {
          await changeStatus(tx, row.id, {
            status: 'cancelled',
            actor: intent.actor,
            reason: intent.reason,
            fromStatuses: ['confirmed'],
            paymentStatus,
            event: {
              subject: orderEvents.cancelled,
              data: OrderCancelledEvent.parse({ order_id: row.id, order_number: row.number, cart_id: row.cart_id, reason: intent.reason, refund_amount: refunded, currency: row.currency }),
            },
          });
        } else {
          await changeStatus(tx, row.id, {
            status: 'refunded',
            actor: intent.actor,
            reason: intent.reason,
            fromStatuses: [intent.from_status],
            paymentStatus: 'refunded',
            event: {
              subject: orderEvents.refunded,
              data: OrderRefundedEvent.parse({ order_id: row.id, order_number: row.number, cart_id: row.cart_id, reason: intent.reason, refund_amount: total, currency: row.currency }),
            },
          });
        }
        return true;
      });
      if (done) this.ctx.relay.kick();
    } catch (e) {
      if (moneyMoved || isTransient(e)) await releaseIntent(pool, intent.id);
      else await endIntent(pool, intent.id, { status: 'failed', error: (e instanceof AppError ? e : new AppError('INTERNAL', 'Something went wrong on our side.')).toBody() });
      throw e;
    } finally {
      intentsInFlight.delete(intent.id);
    }
  }

  /** A cancelled order's coupon use goes back, so a later shopper can use the coupon. */
  private async releaseCoupon(row: OrderRow): Promise<void> {
    await releaseCouponFor(this.ctx, row);
  }

  private staleBefore(): Date {
    return new Date(Date.now() - this.ctx.config.ORDERS_SAGA_GRACE_MS);
  }

  /** Puts what is still available of a past order into the given cart; reports what was not added and why. */
  async reorder(req: Req<typeof ReorderRequest>): Promise<z.input<typeof ReorderResult>> {
    const order = await this.get(req.order_id, req.caller);
    const added: Array<{ name: string; quantity: number }> = [];
    const notAdded: Array<{ name: string; requested: number; reason: string }> = [];
    let cart: Cart | undefined;
    // One line at a time: each add re-checks stock against what the previous ones took.
    for (const line of order.lines) {
      try {
        cart = await this.ctx.bus.call(cartApi.addLine, { cart_id: req.cart_id, caller: req.caller, product_id: line.product_id, variant_id: line.variant_id, quantity: line.quantity });
        added.push({ name: line.name, quantity: line.quantity });
      } catch (e) {
        if (!(e instanceof AppError) || ['CART_NOT_FOUND', 'CART_FORBIDDEN', 'CART_NOT_ACTIVE', 'TIMEOUT', 'UNAVAILABLE'].includes(e.code)) throw e;
        notAdded.push({ name: line.name, requested: line.quantity, reason: e.message });
      }
    }
    cart ??= await this.ctx.bus.call(cartApi.get, { cart_id: req.cart_id, caller: req.caller });
    return { cart, added, not_added: notAdded };
  }

  /** Runs fn under the order's row lock; fn makes no remote call. */
  private async locked(ref: string, caller: Caller | undefined, fn: (tx: PoolClient, row: OrderRow) => Promise<void>): Promise<Order> {
    const { pool } = this.ctx;
    const id = await withTransaction(pool, async (tx) => {
      const found = await lockOrder(tx, ref);
      const row = visibleTo(found ? await findById(tx, found) : null, caller, ref);
      await fn(tx, row);
      return row.id;
    });
    this.ctx.relay.kick();
    return this.get(id, undefined);
  }
}
