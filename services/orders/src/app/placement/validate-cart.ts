import { cartApi } from '@shop/contracts';
import { estimateDelivery } from '../../domain/delivery.js';
import { checkCartPlaceable, type PaymentVia } from '../../domain/saga.js';
import { saveSnapshot } from '../../db/orders.js';
import type { PlacementStep } from './step.js';

/**
 * Re-reads and re-prices the cart through the cart service, as the shopper, checks it can be placed
 * this way (a link needs no payment method), and freezes it on the order. Any refusal ends the
 * placement with nothing to undo.
 */
export function validateCart(paying: PaymentVia): PlacementStep {
  return {
    name: 'validate-cart',
    from: 'created',
    to: 'validated',
    recovery: 'abandon',
    async invoke(ctx, order, input) {
      try {
        const cart = await ctx.bus.call(cartApi.get, { cart_id: order.cart_id, caller: order.caller });
        const placeable = checkCartPlaceable(cart, order.payment_method_arg ?? undefined, input.expectedTotal, paying);
        const estimatedDelivery = estimateDelivery(cart.checkout.shipping_method!, order.created_at);
        return {
          kind: 'done',
          detail: { cart_version: cart.version, total: cart.totals.total, lines: cart.lines.length },
          record: (tx) => saveSnapshot(tx, order.id, { cart, ...placeable, estimatedDelivery }),
        };
      } catch (e) {
        return { kind: 'refuse', error: e };
      }
    },
  };
}
