import { paymentEvents, PaymentEventData, paymentsApi } from '@shop/contracts';
import { consumeEvents, processOnce } from '@shop/kit';
import { closedLinkReason } from '../domain/saga.js';
import { findById } from '../db/orders.js';
import type { Placement } from '../workflows/placement.js';
import type { WorkflowContext } from '../workflows/context.js';

/**
 * Finishes orders paid through a checkout link: `evt.payment.captured` confirms one awaiting its
 * payment (the same confirmation as a charged order), `evt.payment.canceled` (the link was cancelled
 * or expired) compensates it. Payments of orders charged by the saga itself are the saga's business
 * and are skipped. processOnce skips a redelivered event; every step also moves only from the step
 * it expects, so a second event for the same payment changes nothing.
 */
export async function startPaymentEvents(ctx: WorkflowContext, nc: Parameters<typeof consumeEvents>[0]['nc'], placement: Placement): Promise<{ stop: () => Promise<void> }> {
  const { logger, pool, bus } = ctx;
  return consumeEvents({
    nc,
    prefix: ctx.config.NATS_PREFIX,
    durable: 'orders_payments',
    subjects: [paymentEvents.captured, paymentEvents.canceled],
    logger,
    handler: async (event) => {
      const parsed = PaymentEventData.safeParse(event.data);
      if (!parsed.success) {
        // Redelivery cannot repair a malformed event: acknowledge it and say so.
        logger.error({ type: event.type, id: event.id }, 'payment event does not match its contract; ignored');
        return;
      }
      const data = parsed.data;
      await processOnce(pool, 'orders_payments', event.id, async (tx) => {
        const row = await findById(tx, data.order_id);
        if (!row?.external_payment) return;
        await placement.drive(row.id, async () => {
          if (event.type === paymentEvents.captured) {
            if (row.saga_step === 'awaiting_payment') await placement.linkPaid(row.id, await bus.call(paymentsApi.get, { payment_id: data.payment_id }));
            else await placement.refundOrphanPayment(row.id, data.payment_id);
          } else if (row.saga_step === 'awaiting_payment') {
            await placement.linkClosed(row.id, closedLinkReason(data.failure_code));
          }
        });
        logger.info({ order_id: row.id, type: event.type, step: row.saga_step }, 'link payment event applied');
      });
    },
  });
}
