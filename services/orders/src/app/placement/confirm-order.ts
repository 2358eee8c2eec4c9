import { AppError, cartApi, catalogApi, OrderConfirmedEvent, orderEvents } from '@shop/contracts';
import { convertedByAnotherOrder, convertedElsewhereReason, lostReservationReason } from '../../domain/saga.js';
import { changeStatus, findById, snapshotOf } from '../../db/orders.js';
import { isTransient } from '../context.js';
import type { PlacementStep } from './step.js';

/**
 * Commits the reserved stock, converts the cart and confirms the order with its event. Every call is
 * idempotent per order id, so recovery resumes it at once. A reservation lost meanwhile, or a cart
 * that became another order (a cart placed before one placement per cart was enforced), fails the
 * paid order: compensation refunds it and puts the stock back.
 */
export const confirmOrder: PlacementStep = {
  name: 'confirm-order',
  from: 'charged',
  to: 'confirmed',
  recovery: 'resume',
  async invoke(ctx, order) {
    const { bus, pool, logger } = ctx;
    try {
      await bus.call(catalogApi.commit, { order_id: order.id });
    } catch (e) {
      if (isTransient(e)) return { kind: 'pending' };
      logger.warn({ order_id: order.id, code: (e as AppError).code }, 'reservation could not be committed; refunding');
      return { kind: 'fail', outcome: 'cancelled', reason: lostReservationReason };
    }
    try {
      await bus.call(cartApi.convert, { cart_id: order.cart_id, order_id: order.id });
    } catch (e) {
      if (isTransient(e)) return { kind: 'pending' };
      const other = convertedByAnotherOrder(e, order.id);
      if (other) {
        logger.warn({ order_id: order.id, other_order_id: other }, 'cart already converted by another order; refunding');
        return { kind: 'fail', outcome: 'cancelled', reason: convertedElsewhereReason((await findById(pool, other))?.number ?? null) };
      }
      // The order is paid and its stock committed; a cart that cannot be converted (expired) does not undo that.
      logger.warn({ order_id: order.id, code: (e as AppError).code }, 'cart could not be converted');
    }
    const snapshot = snapshotOf(order);
    const data = OrderConfirmedEvent.parse({
      order_id: order.id,
      order_number: order.number,
      cart_id: order.cart_id,
      owner_subject: order.owner_subject,
      conversation: order.conversation,
      coupon_code: snapshot.coupon?.code ?? null,
      total: snapshot.total,
      currency: order.currency,
    });
    return {
      kind: 'done',
      record: async (tx) => {
        await changeStatus(tx, order.id, { status: 'confirmed', actor: 'system', reason: null, fromStatuses: ['pending'], event: { subject: orderEvents.confirmed, data } });
      },
    };
  },
};
