import { randomInt } from 'node:crypto';
import { z } from 'zod';
import {
  AppError,
  cartApi,
  catalogApi,
  OrderCancelledEvent,
  OrderDeliveredEvent,
  orderEvents,
  OrderShippedEvent,
  pageInfo,
  paymentsApi,
  type CancelOrderRequest,
  type Caller,
  type Cart,
  type ListOrdersRequest,
  type ListOrdersResult,
  type Order,
  type ReorderRequest,
  type ReorderResult,
} from '@shop/contracts';
import { withTransaction } from '@shop/kit';
import { assertTransition } from '../domain/order-state.js';
import { makeTracking } from '../domain/tracking.js';
import { isOrderNumber } from '../domain/order-number.js';
import { changeStatus, findByRef, listOrders, renderOrder, type OrderRow } from '../db/orders.js';
import { visibleTo, type WorkflowContext } from './context.js';
import type { Placement } from './placement.js';

type Req<S extends z.ZodType> = z.infer<S>;

const lockByRef = (ref: string) => `select id from orders where ${isOrderNumber(ref) ? 'number' : 'id'} = $1 for update`;

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
   * Cancels a confirmed order: full refund, stock back, status cancelled. The order row stays
   * locked meanwhile so a shipment cannot slip in between the refund and the status change.
   */
  async cancel(req: Req<typeof CancelOrderRequest>): Promise<Order> {
    const { bus } = this.ctx;
    const reason = req.reason || 'Cancelled at your request';
    const found = visibleTo(await findByRef(this.ctx.pool, req.order_id), req.caller, req.order_id);
    if (found.saga_step === 'awaiting_payment') {
      // Not paid yet: voiding the payment closes the checkout link, and the stock goes back.
      const order = await this.placement.drive(found.id, () => this.placement.linkClosed(found.id, reason, 'shopper'));
      // Paid just before the link closed: the order was confirmed; cancel it as any confirmed order (refund).
      if (order.status !== 'confirmed') return order;
    }
    return this.locked(req.order_id, req.caller, async (tx, row) => {
      if (row.status === 'cancelled') return;
      assertTransition(row, 'cancelled', 'shopper');
      let paymentStatus: string | undefined;
      let refundAmount = 0;
      if (row.payment_id && (row.payment_status === 'captured' || row.payment_status === 'partially_refunded')) {
        refundAmount = (await bus.call(paymentsApi.refund, { payment_id: row.payment_id, idempotency_key: `order:${row.id}:cancel`, reason })).amount;
        paymentStatus = 'refunded';
      } else if (row.payment_id && row.payment_status === 'authorized') {
        paymentStatus = (await bus.call(paymentsApi.void, { payment_id: row.payment_id })).status;
      }
      await bus.call(catalogApi.restock, { order_id: row.id });
      await changeStatus(tx, row.id, {
        status: 'cancelled',
        actor: 'shopper',
        reason,
        fromStatuses: ['confirmed'],
        paymentStatus,
        event: {
          subject: orderEvents.cancelled,
          data: OrderCancelledEvent.parse({ order_id: row.id, order_number: row.number, cart_id: row.cart_id, reason, refund_amount: refundAmount, currency: row.currency }),
        },
      });
    });
  }

  async ship(ref: string): Promise<Order> {
    return this.locked(ref, undefined, async (tx, row) => {
      assertTransition(row, 'shipped', 'fulfilment');
      const tracking = makeTracking(row.shipping_method!, String(randomInt(1e9)).padStart(9, '0') + String(randomInt(1e9)).padStart(9, '0'), this.ctx.config.TRACKING_BASE_URL);
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
      await changeStatus(tx, row.id, {
        status: 'delivered',
        actor: 'fulfilment',
        reason: null,
        fromStatuses: ['shipped'],
        event: { subject: orderEvents.delivered, data: OrderDeliveredEvent.parse({ order_id: row.id, order_number: row.number }) },
      });
    });
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

  private async locked(ref: string, caller: Caller | undefined, fn: (tx: Parameters<Parameters<typeof withTransaction>[1]>[0], row: OrderRow) => Promise<void>): Promise<Order> {
    const { pool } = this.ctx;
    const id = await withTransaction(pool, async (tx) => {
      const found = await tx.query<{ id: string }>(lockByRef(ref), [ref]);
      const row = visibleTo(found.rows[0] ? await findByRef(tx, ref) : null, caller, ref);
      await fn(tx, row);
      return row.id;
    });
    this.ctx.relay.kick();
    return this.get(id, undefined);
  }
}
