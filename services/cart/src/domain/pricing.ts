import {
  applyBasisPoints,
  deliveryEstimate,
  divRoundHalfUp,
  DEFAULT_CURRENCY,
  ShippingMethod,
  shippingMethods,
  shippingPrice,
  shippingRates,
  type Currency,
  type ShippingOption,
  type ShippingRates,
  type Totals,
} from '@shop/contracts';

/** The pricing rules of ARCHITECTURE.md "Money and pricing"; every amount in cents. */
export interface PricingRules {
  currency: Currency;
  /** Tax on goods after discount, in basis points (8.75 % = 875). */
  taxBasisPoints: number;
  /** The store's shipping rates (contracts rules/shipping.ts, which the shipping policy quotes too). */
  shipping: ShippingRates;
}

export const defaultPricingRules: PricingRules = {
  currency: DEFAULT_CURRENCY,
  taxBasisPoints: 875,
  shipping: shippingRates,
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

function basis(lines: readonly PricedLine[], coupon: CouponEffect | null) {
  const subtotal = lines.reduce((sum, l) => sum + lineSubtotal(l), 0);
  const itemCount = lines.reduce((sum, l) => sum + l.quantity, 0);
  const discount = discountFor(subtotal, coupon);
  return { subtotal, itemCount, discount, goods: subtotal - discount, freeShipping: coupon?.type === 'free_shipping' };
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
  const b = basis(lines, coupon);
  const method = chosenMethod ?? 'standard';
  const shipping = shippingPrice(method, b, rules.shipping);
  const tax = applyBasisPoints(b.goods, rules.taxBasisPoints);
  return {
    subtotal: b.subtotal,
    discount: b.discount,
    shipping,
    shipping_method: method,
    shipping_is_estimate: chosenMethod === null,
    tax,
    total: b.goods + shipping + tax,
    item_count: b.itemCount,
    currency: rules.currency,
  };
}

/**
 * Every shipping method priced by the same rule as the totals (so the chosen one costs what the
 * totals charge), with its delivery window counted from today.
 */
export function shippingOptions(lines: readonly PricedLine[], coupon: CouponEffect | null, today: Date, rules: PricingRules = defaultPricingRules): ShippingOption[] {
  const b = basis(lines, coupon);
  return ShippingMethod.options.map((method) => ({
    method,
    label: shippingMethods[method].label,
    price: shippingPrice(method, b, rules.shipping),
    estimate: deliveryEstimate(method, today),
  }));
}
