import { AppError, paymentEvents, PaymentEventData, paymentsApi, type Payment } from '@shop/contracts';
import { consumeEvents, processOnce } from '@shop/kit';
import { closedLinkReason } from '../domain/saga.js';
import { findById, type OrderRow } from '../db/orders.js';
import type { RefundIntentRow } from '../db/refunds.js';
import type { Lifecycle } from '../app/lifecycle.js';
import type { Placement } from '../app/placement.js';
import type { WorkflowContext } from '../app/context.js';

/** What a payment event claims, checked against what payments itself answers for that payment. */
type Claim = 'captured' | 'canceled' | 'refunded';

/**
 * An event only says what happened; payments is asked for the payment before anything moves. It must
 * be the event's payment, of the event's order, in the claimed state, and (captured) for the order's
 * total. Null, logged, when it is not: a forged or mistaken event changes nothing.
 */
export function verifiedPayment(claim: Claim, data: PaymentEventData, payment: Payment | null, order: { id: string; total: number | null }): Payment | null {
  if (!payment || payment.id !== data.payment_id || payment.order_id !== data.order_id || payment.order_id !== order.id) return null;
  switch (claim) {
    case 'captured':
      return payment.status === 'captured' && payment.amount === order.total && payment.amount_captured === order.total ? payment : null;
    case 'canceled':
      return payment.status === 'canceled' || payment.status === 'voided' || payment.status === 'failed' ? payment : null;
    case 'refunded':
      return (payment.status === 'refunded' || payment.status === 'partially_refunded') && payment.amount_refunded > 0 ? payment : null;
  }
}

const claims: Record<string, Claim> = {
  [paymentEvents.captured]: 'captured',
  [paymentEvents.canceled]: 'canceled',
  [paymentEvents.refunded]: 'refunded',
};

/**
 * Payment events orders acts on, each verified with payments first (outside any transaction):
 * - `evt.payment.captured` confirms a checkout-link order awaiting its payment (the same confirmation
 *   as a charged order); a capture for a closed order is refunded;
 * - `evt.payment.canceled` (the link was cancelled or expired) compensates it;
 * - `evt.payment.refunded` records the amount refunded, and a full refund orders did not ask for
 *   (made at payments directly) moves the order to refunded.
 * Payments of orders charged by the saga itself are the saga's business and are skipped for capture
 * and cancel. processOnce skips a redelivered event; every step also moves only from the step it
 * expects, so a second event for the same payment changes nothing.
 */
export function consumePaymentEvents(ctx: WorkflowContext, nc: Parameters<typeof consumeEvents>[0]['nc'], placement: Placement, lifecycle: Lifecycle) {
  const { logger, pool, bus } = ctx;
  return consumeEvents({
    nc,
    prefix: ctx.config.NATS_PREFIX,
    durable: 'orders_payments',
    subjects: [paymentEvents.captured, paymentEvents.canceled, paymentEvents.refunded],
    logger,
    handler: async (event) => {
      const parsed = PaymentEventData.safeParse(event.data);
      const claim = claims[event.type];
      if (!parsed.success || !claim) {
        // Redelivery cannot repair a malformed event: acknowledge it and say so.
        logger.error({ type: event.type, id: event.id }, 'payment event does not match its contract; ignored');
        return;
      }
      const data = parsed.data;
      const order = await findById(pool, data.order_id);
      if (!order || (claim !== 'refunded' && !order.external_payment)) return;
      // Asked before the transaction opens: no remote call while a connection is held.
      const payment = verifiedPayment(claim, data, await fetchPayment(bus, data.payment_id), { id: order.id, total: order.snapshot?.total ?? null });
      if (!payment) {
        logger.warn({ type: event.type, id: event.id, order_id: data.order_id, payment_id: data.payment_id }, 'payment event not confirmed by payments; ignored');
        return;
      }
      if (claim === 'refunded') {
        let started = null as RefundIntentRow | null;
        await processOnce(pool, 'orders_payments', event.id, async (tx) => {
          started = await lifecycle.paymentRefunded(tx, payment);
        });
        if (started) await lifecycle.finish(started);
        logger.info({ order_id: order.id, amount_refunded: payment.amount_refunded, status: payment.status }, 'payment refund recorded');
        return;
      }
      await processOnce(pool, 'orders_payments', event.id, async () => {
        await placement.drive(order.id, async () => {
          const row = (await findById(pool, order.id))!;
          if (claim === 'captured') {
            if (row.saga_step === 'awaiting_payment') await placement.linkPaid(row.id, payment);
            else await placement.refundOrphanPayment(row.id, payment.id);
          } else if (row.saga_step === 'awaiting_payment') {
            await placement.linkClosed(row.id, closedLinkReason(payment.failure_code));
          }
        });
        logger.info({ order_id: order.id, type: event.type, step: order.saga_step }, 'link payment event applied');
      });
    },
  });
}

/** A payment that does not exist confirms nothing; any other failure is retried (the event is redelivered). */
async function fetchPayment(bus: WorkflowContext['bus'], paymentId: string): Promise<Payment | null> {
  try {
    return await bus.call(paymentsApi.get, { payment_id: paymentId });
  } catch (e) {
    if (e instanceof AppError && e.code === 'PAYMENT_NOT_FOUND') return null;
    throw e;
  }
}
