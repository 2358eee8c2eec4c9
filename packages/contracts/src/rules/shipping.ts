// The store's shipping rates and the one rule that prices a method. The cart charges it in its
// totals and offers every method priced by it (the cart's shipping options); the shipping policy
// quotes the same numbers. Pure and without zod, so any bundle may import it.
import type { ShippingMethodName } from './dates.js';

/** In cents. */
export interface ShippingRates {
  standard: number;
  express: number;
  /** Standard shipping is free when the goods (subtotal − discount) reach this. */
  freeStandardThreshold: number;
}

/** ARCHITECTURE.md "Money and pricing". */
export const shippingRates: ShippingRates = { standard: 599, express: 1299, freeStandardThreshold: 5000 };

/** What a shipping price depends on. */
export interface ShippingBasis {
  /** Subtotal − discount, in cents. */
  goods: number;
  itemCount: number;
  /** A free-shipping coupon applies. */
  freeShipping: boolean;
}

/** What shipping by `method` costs a cart: nothing for an empty cart or with a free-shipping coupon. */
export function shippingPrice(method: ShippingMethodName, basis: ShippingBasis, rates: ShippingRates = shippingRates): number {
  if (basis.itemCount === 0 || basis.freeShipping) return 0;
  if (method === 'express') return rates.express;
  return basis.goods >= rates.freeStandardThreshold ? 0 : rates.standard;
}
