import { applyBasisPoints, divRoundHalfUp, DEFAULT_CURRENCY, type Currency, type ShippingMethod, type Totals } from '@shop/contracts';

/** The pricing rules of ARCHITECTURE.md "Money and pricing"; every amount in cents. */
export interface PricingRules {
  currency: Currency;
  /** Tax on goods after discount, in basis points (8.75 % = 875). */
  taxBasisPoints: number;
  /** Standard shipping is free when subtotal − discount reaches this. */
  freeShippingThreshold: number;
  standardShipping: number;
  expressShipping: number;
}

export const defaultPricingRules: PricingRules = {
  currency: DEFAULT_CURRENCY,
  taxBasisPoints: 875,
  freeShippingThreshold: 5000,
  standardShipping: 599,
  expressShipping: 1299,
};

export interface PricedLine {
  unit_price: number;
  quantity: number;
}

export interface CouponEffect {
  type: 'percentage' | 'fixed' | 'free_shipping';
  /** Whole percent for percentage, cents for fixed, ignored for free shipping. */
  value: number;
}

export function lineSubtotal(line: PricedLine): number {
  return line.unit_price * line.quantity;
}

export function discountFor(subtotal: number, coupon: CouponEffect | null): number {
  if (!coupon) return 0;
  if (coupon.type === 'percentage') return Math.min(subtotal, divRoundHalfUp(subtotal * coupon.value, 100));
  if (coupon.type === 'fixed') return Math.min(coupon.value, subtotal);
  return 0;
}

/**
 * Totals of a cart. Until the shopper chooses a method, standard shipping is assumed and
 * reported as an estimate.
 */
export function computeTotals(
  lines: readonly PricedLine[],
  coupon: CouponEffect | null,
  chosenMethod: ShippingMethod | null,
  rules: PricingRules = defaultPricingRules,
): Totals {
  const subtotal = lines.reduce((sum, l) => sum + lineSubtotal(l), 0);
  const itemCount = lines.reduce((sum, l) => sum + l.quantity, 0);
  const discount = discountFor(subtotal, coupon);
  const taxable = subtotal - discount;
  const method = chosenMethod ?? 'standard';
  let shipping: number;
  if (itemCount === 0 || coupon?.type === 'free_shipping') shipping = 0;
  else if (method === 'express') shipping = rules.expressShipping;
  else shipping = taxable >= rules.freeShippingThreshold ? 0 : rules.standardShipping;
  const tax = applyBasisPoints(taxable, rules.taxBasisPoints);
  return {
    subtotal,
    discount,
    shipping,
    shipping_method: method,
    shipping_is_estimate: chosenMethod === null,
    tax,
    total: taxable + shipping + tax,
    item_count: itemCount,
    currency: rules.currency,
  };
}
