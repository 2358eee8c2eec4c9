import type { Coupon } from '../domain/coupons.js';
import type { Queryable } from './carts.js';

const couponColumns = 'code, type, value, min_subtotal, valid_from, valid_until, usage_limit, times_used, active, description';

export async function findCoupon(q: Queryable, code: string): Promise<Coupon | null> {
  const { rows } = await q.query<Coupon>({ text: `select ${couponColumns} from coupons where code = $1`, values: [code] });
  return rows[0] ?? null;
}

/**
 * The coupon as one cart sees it: uses held by that cart's own orders do not count, so the order
 * that took the last use does not see the coupon dropped from its own cart.
 */
export async function findCouponForCart(q: Queryable, code: string, cartId: string): Promise<Coupon | null> {
  const { rows } = await q.query<Coupon>({
    text: `select c.code, c.type, c.value, c.min_subtotal, c.valid_from, c.valid_until, c.usage_limit, c.active, c.description,
             c.times_used - (select count(*)::int from coupon_reservations r
                              where r.code = c.code and r.cart_id = $2 and r.released_at is null) as times_used
           from coupons c where c.code = $1`,
    values: [code, cartId],
  });
  return rows[0] ?? null;
}

export interface ReservationRow {
  order_id: string;
  /** Null for a release that came before any reservation of the order. */
  code: string | null;
  cart_id: string | null;
  use_number: number | null;
  released_at: Date | null;
  /** The coupon's current limit. */
  usage_limit: number | null;
}

export async function findReservation(q: Queryable, orderId: string): Promise<ReservationRow | null> {
  const { rows } = await q.query<ReservationRow>(
    `select r.order_id, r.code, r.cart_id, r.use_number, r.released_at, c.usage_limit
       from coupon_reservations r left join coupons c on c.code = r.code where r.order_id = $1`,
    [orderId],
  );
  return rows[0] ?? null;
}

/**
 * Claims the order id for a reservation (use number filled in by takeUse in the same
 * transaction). False when the order already has a row: a concurrent claim waits for the first.
 */
export async function claimReservation(q: Queryable, orderId: string, code: string, cartId: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `insert into coupon_reservations (order_id, code, cart_id, use_number) values ($1, $2, $3, 1) on conflict (order_id) do nothing`,
    [orderId, code, cartId],
  );
  return rowCount === 1;
}

/** One more use, only while under the limit (the row lock serialises concurrent takers); null at the limit. */
export async function takeUse(q: Queryable, orderId: string, code: string): Promise<{ times_used: number; usage_limit: number | null } | null> {
  const { rows } = await q.query<{ times_used: number; usage_limit: number | null }>(
    `update coupons set times_used = times_used + 1
      where code = $1 and (usage_limit is null or times_used < usage_limit)
      returning times_used, usage_limit`,
    [code],
  );
  const taken = rows[0];
  if (!taken) return null;
  await q.query('update coupon_reservations set use_number = $2 where order_id = $1', [orderId, taken.times_used]);
  return taken;
}

/**
 * Gives the order's use back once. An order with no row yet gets one without a code, so a
 * reservation of it arriving later counts nothing. True only when a held use was given back.
 */
export async function releaseReservation(q: Queryable, orderId: string): Promise<boolean> {
  const marker = await q.query(
    `insert into coupon_reservations (order_id, released_at) values ($1, now()) on conflict (order_id) do nothing`,
    [orderId],
  );
  if (marker.rowCount === 1) return false;
  const { rows } = await q.query<{ code: string }>(
    `update coupon_reservations set released_at = now() where order_id = $1 and released_at is null returning code`,
    [orderId],
  );
  const held = rows[0];
  if (!held) return false;
  await q.query('update coupons set times_used = times_used - 1 where code = $1', [held.code]);
  return true;
}
