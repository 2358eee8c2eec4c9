-- Up Migration
-- Coupon uses are taken when an order is placed, not counted after it is confirmed: one row per
-- order, written in the same transaction as a conditional increment of coupons.times_used, so the
-- counter is the number of held reservations and never passes usage_limit. A release keeps the
-- row (released_at) so a repeated release counts nothing; a release that arrives before its
-- reservation leaves a row without a code, so that late reservation counts nothing either.
alter table coupon_redemptions rename to coupon_reservations;
alter table coupon_reservations rename column redeemed_at to created_at;
alter table coupon_reservations
  alter column code drop not null,
  alter column cart_id drop not null,
  add column use_number integer check (use_number >= 1),
  add column released_at timestamptz;
-- Uses counted before this change keep their order.
update coupon_reservations r set use_number = n.n
  from (select order_id, row_number() over (partition by code order by created_at, order_id)::int as n from coupon_reservations) n
  where n.order_id = r.order_id;
alter table coupon_reservations add constraint coupon_reservations_shape check (
  (code is not null and cart_id is not null and use_number is not null)
  or (code is null and cart_id is null and use_number is null and released_at is not null)
);
-- The cart's read path counts the uses its own orders hold.
create index coupon_reservations_held on coupon_reservations (code, cart_id) where released_at is null;

-- Down Migration
drop index coupon_reservations_held;
delete from coupon_reservations where code is null or released_at is not null;
alter table coupon_reservations
  drop constraint coupon_reservations_shape,
  drop column released_at,
  drop column use_number,
  alter column cart_id set not null,
  alter column code set not null;
alter table coupon_reservations rename column created_at to redeemed_at;
alter table coupon_reservations rename to coupon_redemptions;
