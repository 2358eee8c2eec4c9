import { deliveryEstimate, formatMoney, shippingMethods, ShippingMethod, type Cart, type ShippingOption } from '@shop/contracts';

/** The store's default shipping rates (ARCHITECTURE.md "Money and pricing"), in cents. */
export interface ShippingRates {
  standard: number;
  express: number;
  freeStandardThreshold: number;
}
export const defaultShippingRates: ShippingRates = { standard: 599, express: 1299, freeStandardThreshold: 5000 };

/**
 * The shipping choices for a cart. The cart service prices the chosen method; that figure is
 * authoritative, so it is used as is and only the other method is priced here from the rates.
 */
export function shippingOptions(cart: Cart, now: Date, rates: ShippingRates = defaultShippingRates): ShippingOption[] {
  const goods = cart.totals.subtotal - cart.totals.discount;
  const freeShipping = cart.coupon?.type === 'free_shipping';
  const priceOf = (method: ShippingMethod): number => {
    if (!cart.totals.shipping_is_estimate && cart.totals.shipping_method === method) return cart.totals.shipping;
    if (freeShipping) return 0;
    if (method === 'standard') return goods >= rates.freeStandardThreshold ? 0 : rates.standard;
    return rates.express;
  };
  return ShippingMethod.options.map((method) => {
    const info = shippingMethods[method];
    const price = priceOf(method);
    return {
      method,
      label: info.label,
      price,
      price_formatted: formatMoney(price, cart.currency),
      estimate: deliveryEstimate(method, now),
    };
  });
}
