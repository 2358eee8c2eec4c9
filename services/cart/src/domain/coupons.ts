import { AppError, formatMoney, type AppliedCoupon } from '@shop/contracts';

export interface Coupon {
  code: string;
  type: 'percentage' | 'fixed' | 'free_shipping';
  value: number;
  min_subtotal: number;
  valid_from: Date | null;
  valid_until: Date | null;
  usage_limit: number | null;
  times_used: number;
  active: boolean;
  description: string;
}

/** Codes are case-insensitive and stored upper-case. */
export function normaliseCode(code: string): string {
  return code.trim().toUpperCase();
}

const dateFormat = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

/** Why a coupon cannot be used by anyone now (inactive, not yet valid, expired), or null when it can. */
export function couponValidityRefusal(coupon: Coupon, now: Date): string | null {
  if (!coupon.active) return `${coupon.code} is no longer active.`;
  if (coupon.valid_from && now < coupon.valid_from) return `${coupon.code} is not valid until ${dateFormat.format(coupon.valid_from)}.`;
  if (coupon.valid_until && now >= coupon.valid_until) return `${coupon.code} expired on ${dateFormat.format(coupon.valid_until)}.`;
  return null;
}

/** Every use is taken. `times_used` counts reserved uses (those of the cart being judged excluded). */
export function atUsageLimit(coupon: Pick<Coupon, 'usage_limit' | 'times_used'>): boolean {
  return coupon.usage_limit !== null && coupon.times_used >= coupon.usage_limit;
}

const limitMessage = (code: string) => `${code} has reached its usage limit.`;

/** Why a coupon cannot be used on a cart with this subtotal now, or null when it can. */
export function couponRefusal(coupon: Coupon, subtotal: number, now: Date): string | null {
  const invalid = couponValidityRefusal(coupon, now);
  if (invalid) return invalid;
  if (atUsageLimit(coupon)) return limitMessage(coupon.code);
  if (subtotal < coupon.min_subtotal) {
    return `${coupon.code} needs a subtotal of at least ${formatMoney(coupon.min_subtotal)} (your subtotal is ${formatMoney(subtotal)}).`;
  }
  return null;
}

/** The refusal of a placement whose coupon has no use left. */
export function couponLimitReached(code: string): AppError {
  return new AppError('COUPON_LIMIT_REACHED', `${limitMessage(code)} Remove it from your cart to place the order without it.`, { code });
}

export function appliedCoupon(coupon: Coupon): AppliedCoupon {
  return { code: coupon.code, type: coupon.type, value: coupon.value, description: coupon.description };
}
