import { describe, expect, it } from 'vitest';
import { AppError, httpStatusFor } from '@shop/contracts';
import { atUsageLimit, couponLimitReached, couponRefusal, couponValidityRefusal, type Coupon } from '../src/domain/coupons.js';

const base: Coupon = {
  code: 'TWOUSES',
  type: 'fixed',
  value: 100,
  min_subtotal: 0,
  valid_from: null,
  valid_until: null,
  usage_limit: 2,
  times_used: 0,
  active: true,
  description: '$1.00 off',
};
const now = new Date('2026-06-01T12:00:00Z');

describe('coupon rules shared by the read path and reservations', () => {
  it('validity ignores usage and subtotal: only active and the validity window', () => {
    expect(couponValidityRefusal({ ...base, times_used: 99, min_subtotal: 10_000 }, now)).toBeNull();
    expect(couponValidityRefusal({ ...base, active: false }, now)).toBe('TWOUSES is no longer active.');
    expect(couponValidityRefusal({ ...base, valid_from: new Date('2026-06-02T00:00:00Z') }, now)).toBe('TWOUSES is not valid until Jun 2, 2026.');
    expect(couponValidityRefusal({ ...base, valid_until: now }, now)).toBe('TWOUSES expired on Jun 1, 2026.');
  });

  it('is at its limit once the reserved uses reach it; no limit never is', () => {
    expect(atUsageLimit({ usage_limit: 2, times_used: 1 })).toBe(false);
    expect(atUsageLimit({ usage_limit: 2, times_used: 2 })).toBe(true);
    expect(atUsageLimit({ usage_limit: 2, times_used: 3 })).toBe(true);
    expect(atUsageLimit({ usage_limit: 0, times_used: 0 })).toBe(true);
    expect(atUsageLimit({ usage_limit: null, times_used: 1_000_000 })).toBe(false);
  });

  it('the read path refuses in order: validity, then the limit, then the subtotal', () => {
    expect(couponRefusal({ ...base, active: false, times_used: 2 }, 0, now)).toBe('TWOUSES is no longer active.');
    expect(couponRefusal({ ...base, times_used: 2, min_subtotal: 5000 }, 0, now)).toBe('TWOUSES has reached its usage limit.');
    expect(couponRefusal({ ...base, times_used: 1, min_subtotal: 5000 }, 4999, now)).toBe('TWOUSES needs a subtotal of at least $50.00 (your subtotal is $49.99).');
    expect(couponRefusal({ ...base, times_used: 1 }, 0, now)).toBeNull();
  });

  it('a placement at the limit gets COUPON_LIMIT_REACHED (409) with a message naming the coupon', () => {
    const e = couponLimitReached('TWOUSES');
    expect(e).toBeInstanceOf(AppError);
    expect(e.toBody()).toEqual({
      code: 'COUPON_LIMIT_REACHED',
      message: 'TWOUSES has reached its usage limit. Remove it from your cart to place the order without it.',
      details: { code: 'TWOUSES' },
    });
    expect(e.httpStatus).toBe(409);
    expect(httpStatusFor('COUPON_LIMIT_REACHED')).toBe(409);
  });
});
