import type { Coupon } from '../domain/coupons.js';
import type { Queryable } from './carts.js';

export async function findCoupon(q: Queryable, code: string): Promise<Coupon | null> {
  const { rows } = await q.query<Coupon>({
    name: 'coupon_by_code',
    text: `select code, type, value, min_subtotal, valid_from, valid_until, usage_limit, times_used, active, description
           from coupons where code = $1`,
    values: [code],
  });
  return rows[0] ?? null;
}

/** Counts one use of a coupon per order; a repeated order id counts nothing. Returns whether it counted. */
export async function redeemCoupon(q: Queryable, code: string, orderId: string, cartId: string): Promise<boolean> {
  const inserted = await q.query(
    `insert into coupon_redemptions (order_id, code, cart_id) select $1, code, $3 from coupons where code = $2
     on conflict (order_id) do nothing`,
    [orderId, code, cartId],
  );
  if (inserted.rowCount !== 1) return false;
  await q.query('update coupons set times_used = times_used + 1 where code = $1', [code]);
  return true;
}
