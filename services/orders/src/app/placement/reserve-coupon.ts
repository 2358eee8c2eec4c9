import { cartApi } from '@shop/contracts';
import { snapshotOf, type OrderRow } from '../../db/orders.js';
import type { WorkflowContext } from '../context.js';
import type { PlacementStep } from './step.js';

/**
 * Takes one use of the order's coupon from the cart service, counted against its usage limit in one
 * conditional update there, before any stock is held or money moves: at the limit the placement is
 * refused with the cart's COUPON_LIMIT_REACHED. Idempotent per order id, so a repeat counts nothing.
 */
export const reserveCoupon: PlacementStep = {
  name: 'reserve-coupon',
  from: 'validated',
  to: 'coupon_reserved',
  recovery: 'abandon',
  async invoke(ctx, order) {
    const coupon = snapshotOf(order).coupon;
    if (!coupon) return { kind: 'done', detail: { coupon: null } };
    try {
      const held = await ctx.bus.call(cartApi.reserveCoupon, { order_id: order.id, cart_id: order.cart_id, code: coupon.code });
      return { kind: 'done', detail: { coupon: coupon.code, times_used: held.times_used, usage_limit: held.usage_limit } };
    } catch (e) {
      // A timeout may have taken the use: refusing undoes this step too, which gives it back.
      return { kind: 'refuse', error: e };
    }
  },
  async compensate(ctx, order) {
    await releaseCouponFor(ctx, order);
  },
};

/**
 * Gives the order's coupon use back (a failed placement, or an order cancelled before it ships).
 * Idempotent: only the first call for an order releases anything. True when a use was given back.
 */
export async function releaseCouponFor(ctx: Pick<WorkflowContext, 'bus'>, order: Pick<OrderRow, 'id' | 'snapshot'>): Promise<boolean> {
  if (!order.snapshot?.coupon) return false;
  return (await ctx.bus.call(cartApi.releaseCoupon, { order_id: order.id })).released;
}
