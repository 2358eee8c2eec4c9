import { paymentsApi, type CheckoutLink } from '@shop/contracts';
import { linkUnavailableReason, paymentKeys } from '../../domain/saga.js';
import { recordCheckoutLink, renderOrder, snapshotOf } from '../../db/orders.js';
import { settlePayment } from './charge-payment.js';
import type { PlacementStep } from './step.js';

/**
 * Asks payments for a checkout link for the order's total; payments records the order's pending
 * payment with it. Whether or not a failed request created one, compensating voids whatever payment
 * exists, which closes its link (and refunds one the shopper paid before the order was cancelled).
 */
export const requestCheckoutLink: PlacementStep = {
  name: 'request-checkout-link',
  from: 'reserved',
  to: 'awaiting_payment',
  recovery: 'abandon',
  async invoke(ctx, order) {
    const snapshot = snapshotOf(order);
    const { lines } = await renderOrder(ctx.pool, order);
    let link: CheckoutLink;
    try {
      link = await ctx.bus.call(
        paymentsApi.createCheckoutLink,
        {
          cart_id: order.cart_id,
          customer: snapshot.customer,
          amount: snapshot.total,
          currency: order.currency,
          line_items: lines.map((l) => ({ name: l.name.slice(0, 200), quantity: l.quantity, unit_amount: l.unit_price })),
          idempotency_key: paymentKeys.link(order.id),
          order_id: order.id,
          expires_in_minutes: ctx.config.ORDERS_CHECKOUT_LINK_TTL_MINUTES,
        },
        { timeoutMs: 15_000 },
      );
    } catch (e) {
      ctx.logger.warn({ order_id: order.id, code: (e as { code?: string }).code }, 'checkout link could not be created');
      return { kind: 'fail', outcome: 'cancelled', reason: linkUnavailableReason };
    }
    return {
      kind: 'done',
      detail: { checkout_id: link.id, expires_at: link.expires_at },
      record: (tx) => recordCheckoutLink(tx, order.id, { id: link.id, url: link.url, expiresAt: link.expires_at, paymentId: link.payment_id ?? null }),
    };
  },
  compensate: settlePayment,
};
