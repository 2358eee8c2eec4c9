import { assertChain, linkReservationTtlSeconds } from '../../domain/saga.js';
import { awaitLinkPayment } from './await-link-payment.js';
import { chargePayment } from './charge-payment.js';
import { confirmOrder } from './confirm-order.js';
import { requestCheckoutLink } from './request-checkout-link.js';
import { reserveCoupon } from './reserve-coupon.js';
import { reserveStock } from './reserve-stock.js';
import type { PlacementStep } from './step.js';
import { validateCart } from './validate-cart.js';

/** A placement charged by the saga to a saved payment method. */
export const directCharge: readonly PlacementStep[] = [
  validateCart('saved_method'),
  reserveCoupon,
  reserveStock((c) => c.ORDERS_RESERVATION_TTL_S),
  chargePayment,
  confirmOrder,
];

/** A placement the shopper pays on an external checkout link; its stock is held for the link's whole life. */
export const checkoutLink: readonly PlacementStep[] = [
  validateCart('checkout_link'),
  reserveCoupon,
  reserveStock((c) => linkReservationTtlSeconds(c.ORDERS_CHECKOUT_LINK_TTL_MINUTES, c.ORDERS_RESERVATION_TTL_S)),
  requestCheckoutLink,
  awaitLinkPayment,
  confirmOrder,
];

assertChain(directCharge);
assertChain(checkoutLink);

/** The step list an order follows: how it is paid is fixed when it is created. */
export function stepsFor(order: { external_payment: boolean }): readonly PlacementStep[] {
  return order.external_payment ? checkoutLink : directCharge;
}
