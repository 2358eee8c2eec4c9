import type pg from 'pg';
import type { z } from 'zod';
import { AppError, type cartApi, type CouponRelease, type CouponReservation } from '@shop/contracts';
import { withTransaction } from '@shop/kit';
import { findCart } from '../db/carts.js';
import { claimReservation, findCoupon, findReservation, releaseReservation, takeUse, type ReservationRow } from '../db/coupons.js';
import { couponLimitReached, couponValidityRefusal, normaliseCode } from '../domain/coupons.js';

type ReserveRequest = z.infer<typeof cartApi.reserveCoupon.request>;
type ReleaseRequest = z.infer<typeof cartApi.releaseCoupon.request>;

/**
 * Coupon uses taken by orders at placement: the reservation row and the conditional increment of
 * the counter commit together, so the counter is the number of held uses and never passes the limit.
 */
export class CouponReservations {
  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reserve(req: ReserveRequest): Promise<CouponReservation> {
    const code = normaliseCode(req.code);
    const earlier = await findReservation(this.pool, req.order_id);
    if (earlier) return replay(earlier, req.order_id, code, req.cart_id);
    const coupon = await findCoupon(this.pool, code);
    if (!coupon) throw new AppError('COUPON_INVALID', `${code} is not a valid coupon code.`, { code, reason: 'unknown' });
    const invalid = couponValidityRefusal(coupon, this.now());
    if (invalid) throw new AppError('COUPON_INVALID', invalid, { code, reason: 'not_applicable' });
    const cart = await findCart(this.pool, req.cart_id);
    if (!cart) throw new AppError('CART_NOT_FOUND', 'That cart does not exist.', { cart_id: req.cart_id });
    if (cart.status !== 'active') throw new AppError('CART_NOT_ACTIVE', 'This cart was already turned into an order or abandoned.', { cart_id: req.cart_id, order_id: cart.order_id });
    // Only the coupon the shopper has on the cart can be used for its order.
    if (cart.coupon_code !== code) {
      throw new AppError('CART_CHANGED', `The coupon on your cart changed: it now has ${cart.coupon_code ?? 'no coupon'}, not ${code}. Please review your cart.`, {
        cart_id: req.cart_id,
        code,
        cart_coupon: cart.coupon_code,
      });
    }
    return withTransaction(this.pool, async (tx) => {
      if (!(await claimReservation(tx, req.order_id, code, req.cart_id))) {
        // The same order reserving at the same moment: answer as the first did.
        const first = await findReservation(tx, req.order_id);
        if (!first) throw new AppError('UNAVAILABLE', 'The coupon could not be reserved. Please try again.');
        return replay(first, req.order_id, code, req.cart_id);
      }
      const taken = await takeUse(tx, req.order_id, code);
      // Throwing rolls back the claim too: a refused order holds nothing.
      if (!taken) throw couponLimitReached(code);
      return { reserved: true as const, times_used: taken.times_used, usage_limit: taken.usage_limit };
    });
  }

  async release(req: ReleaseRequest): Promise<CouponRelease> {
    return { released: await withTransaction(this.pool, (tx) => releaseReservation(tx, req.order_id)) };
  }
}

/** The reply an order already got, or why its order id cannot take a use. */
function replay(row: ReservationRow, orderId: string, code: string, cartId: string): CouponReservation {
  if (row.released_at !== null || row.code === null) {
    throw new AppError('INVALID_TRANSITION', `The coupon use of order ${orderId} was already given back; it cannot be reserved again.`, { order_id: orderId, code });
  }
  if (row.code !== code || row.cart_id !== cartId) {
    throw new AppError('IDEMPOTENCY_CONFLICT', `Order ${orderId} already reserved ${row.code} for another request.`, {
      order_id: orderId,
      code: row.code,
      cart_id: row.cart_id,
    });
  }
  return { reserved: true, times_used: row.use_number!, usage_limit: row.usage_limit };
}
