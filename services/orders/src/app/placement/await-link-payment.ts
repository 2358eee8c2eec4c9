import { checkoutExpiredReason, closedLinkReason, linkPaymentMismatch } from '../../domain/saga.js';
import { markPaymentChecked, snapshotOf } from '../../db/orders.js';
import { paymentFacts, paymentOf, type PlacementStep } from './step.js';

/**
 * The shopper pays on the link's page. Triggered by payments' events and by recovery (for events it
 * may have missed), never by the placement request. The payment is read back from payments (or
 * handed over by the event consumer, which read it back): only this order's payment, captured, for
 * its total, confirms it. Closed on the page or expired unpaid: the order fails (compensation voids
 * the payment, which closes the link). Still open: the order waits.
 */
export const awaitLinkPayment: PlacementStep = {
  name: 'await-link-payment',
  from: 'awaiting_payment',
  to: 'charged',
  recovery: 'resume',
  awaits: true,
  async invoke(ctx, order, input) {
    const payment = input.payment?.order_id === order.id ? input.payment : await paymentOf(ctx, order.id);
    if (payment?.status === 'captured') {
      const mismatch = linkPaymentMismatch({ id: order.id, total: snapshotOf(order).total, currency: order.currency }, payment);
      if (mismatch) {
        // Money moved that does not match the order: leave it for a person, confirm nothing.
        ctx.logger.error({ order_id: order.id, payment_id: payment.id, mismatch }, 'link payment does not pay for its order; not confirmed');
        return { kind: 'pending' };
      }
      return { kind: 'done', detail: { payment_id: payment.id, status: payment.status, via: 'checkout_link' }, payment: paymentFacts(payment) };
    }
    if (payment && payment.status !== 'pending') return { kind: 'fail', outcome: 'cancelled', reason: closedLinkReason(payment.failure_code) };
    if (order.checkout_expires_at && order.checkout_expires_at <= new Date()) return { kind: 'fail', outcome: 'cancelled', reason: checkoutExpiredReason };
    await markPaymentChecked(ctx.pool, order.id);
    return { kind: 'pending' };
  },
};
