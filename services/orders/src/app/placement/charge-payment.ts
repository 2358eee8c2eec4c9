import { AppError, catalogApi, paymentsApi, type Payment } from '@shop/contracts';
import { declinedFallbackReason, paymentKeys, requiresActionReason } from '../../domain/saga.js';
import { snapshotOf, type OrderRow } from '../../db/orders.js';
import { isTransient, type WorkflowContext } from '../context.js';
import { paymentFacts, paymentOf, type PlacementStep, type Undone } from './step.js';

/**
 * Charges the order's total to its saved method. The intent (`charging`) is committed before the
 * call; the idempotency key makes a repeat (recovery, after a timeout) return the same payment, so
 * a charge that started is finished, never abandoned: the shopper may have paid. A resumed charge
 * (payments did not answer before) first holds the stock again for the reservation's TTL, so an
 * outage longer than the hold does not sell the order's units to someone else meanwhile.
 */
export const chargePayment: PlacementStep = {
  name: 'charge-payment',
  from: 'reserved',
  intent: 'charging',
  to: 'charged',
  recovery: 'abandon',
  async invoke(ctx, order, input) {
    const snapshot = snapshotOf(order);
    if (snapshot.total === 0) return { kind: 'done', detail: { amount: 0 } };
    if (input.resumed) await holdStock(ctx, order.id);
    let payment: Payment;
    try {
      payment = await ctx.bus.call(
        paymentsApi.authorize,
        {
          order_id: order.id,
          amount: snapshot.total,
          currency: order.currency,
          idempotency_key: paymentKeys.charge(order.id),
          payment_method_id: snapshot.payment_method_id!,
          customer: snapshot.customer,
          // The account the order belongs to: payments charges a saved card only when it is this account's.
          ...(order.owner_subject ? { account: order.owner_subject } : {}),
          capture: true,
          description: `Order ${order.number}`,
          ...(snapshot.save_payment_method_for ? { save_for_customer: snapshot.save_payment_method_for } : {}),
        },
        { timeoutMs: 15_000 },
      );
    } catch (e) {
      // Unknown whether the charge happened: recovery asks again with the same key.
      if (isTransient(e)) return { kind: 'pending' };
      const err = e instanceof AppError ? e : new AppError('PAYMENT_DECLINED', declinedFallbackReason);
      return { kind: 'fail', outcome: 'payment_failed', reason: err.code === 'PAYMENT_REQUIRES_ACTION' ? requiresActionReason : err.message };
    }
    if (payment.status === 'captured' || payment.status === 'authorized') {
      return { kind: 'done', detail: { payment_id: payment.id, status: payment.status }, payment: paymentFacts(payment) };
    }
    const reason = payment.status === 'requires_action' ? requiresActionReason : (payment.failure_message ?? declinedFallbackReason);
    return { kind: 'fail', outcome: 'payment_failed', reason, payment: paymentFacts(payment) };
  },
  compensate: settlePayment,
};

/**
 * Holds the order's stock another TTL before a charge in doubt is asked again. A reservation that
 * cannot be held (its units sold meanwhile) does not stop the charge: it may have happened, so it
 * is asked again all the same, and the commit after it refunds a charge whose stock is gone.
 */
async function holdStock(ctx: WorkflowContext, orderId: string): Promise<void> {
  try {
    await ctx.bus.call(catalogApi.extend, { order_id: orderId, ttl_seconds: ctx.config.ORDERS_RESERVATION_TTL_S });
  } catch (e) {
    ctx.logger.warn({ order_id: orderId, code: e instanceof AppError ? e.code : undefined }, 'stock of an order whose charge is in doubt could not be held again');
  }
}

/**
 * Undoes whatever the order's payment holds: a captured one is refunded (one refund per order, by
 * its key, with the reason recorded when compensation began), an open one voided (which also closes
 * a checkout link). A resumed compensation finds the refund already made and reports it.
 */
export async function settlePayment(ctx: WorkflowContext, order: OrderRow): Promise<Undone> {
  const payment = await paymentOf(ctx, order.id);
  if (!payment) return {};
  if (payment.status === 'captured' || payment.status === 'partially_refunded') {
    const refund = await ctx.bus.call(paymentsApi.refund, { payment_id: payment.id, idempotency_key: paymentKeys.refund(order.id), reason: order.reason ?? 'Your order was cancelled.', requested_by: 'orders' });
    return { paymentStatus: 'refunded', refundAmount: refund.amount };
  }
  if (payment.status === 'authorized' || payment.status === 'requires_action' || payment.status === 'pending') {
    return { paymentStatus: (await ctx.bus.call(paymentsApi.void, { payment_id: payment.id })).status };
  }
  return { paymentStatus: payment.status, refundAmount: payment.amount_refunded };
}
