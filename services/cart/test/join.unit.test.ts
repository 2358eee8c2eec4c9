import { describe, expect, it } from 'vitest';
import { planJoin } from '../src/domain/join.js';
import { MAX_LINES_PER_CART, MAX_QUANTITY_PER_LINE } from '../src/domain/limits.js';

const line = (n: number, quantity = 1) => ({ product_id: `p${n}`, variant_id: `v${n}`, quantity });
const cart = (coupon_code: string | null, checkout_started = false) => ({ coupon_code, checkout_started });

describe('an anonymous cart joining the account cart (planJoin)', () => {
  it('sums the same item up to the per-line maximum and adds new items', () => {
    const plan = planJoin(cart(null), [line(1, 3), line(2, 98)], cart(null), [line(1, 2), line(2, 5), line(3, 4)]);
    expect(plan.merged.map((m) => [m.line.product_id, m.quantity])).toEqual([
      ['p1', 5],
      ['p2', MAX_QUANTITY_PER_LINE],
    ]);
    expect(plan.added.map((l) => l.product_id)).toEqual(['p3']);
    expect(plan.dropped).toEqual([]);
  });

  it('keeps at most the distinct items a cart may hold; the rest are left out', () => {
    const held = Array.from({ length: MAX_LINES_PER_CART - 1 }, (_, i) => line(i));
    const plan = planJoin(cart(null), held, cart(null), [line(0, 1), line(500), line(501)]);
    expect(plan.merged.map((m) => m.line.product_id)).toEqual(['p0']);
    expect(plan.added.map((l) => l.product_id)).toEqual(['p500']);
    expect(plan.dropped.map((l) => l.product_id)).toEqual(['p501']);
  });

  it("keeps the account cart's coupon, else takes the conversation cart's", () => {
    expect(planJoin(cart('SAVE5'), [], cart('WELCOME10'), []).coupon).toBe('SAVE5');
    expect(planJoin(cart(null), [], cart('WELCOME10'), []).coupon).toBe('WELCOME10');
    expect(planJoin(cart('SAVE5'), [], cart(null), []).coupon).toBe('SAVE5');
    expect(planJoin(cart(null), [], cart(null), []).coupon).toBeNull();
  });

  it('takes the checkout details from the conversation cart when checkout began there', () => {
    expect(planJoin(cart(null, true), [], cart(null, true), []).checkoutFrom).toBe('conversation');
    expect(planJoin(cart(null, true), [], cart(null, false), []).checkoutFrom).toBe('account');
    expect(planJoin(cart(null, false), [], cart(null, true), []).checkoutFrom).toBe('conversation');
  });
});
