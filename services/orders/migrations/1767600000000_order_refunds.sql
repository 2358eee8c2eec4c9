-- Up Migration
-- What the shopper got back on this order in all (cents), as payments reported it.
alter table orders add column amount_refunded bigint not null default 0 check (amount_refunded >= 0);

-- Money going back on an order, one row per request: a cancellation (refund or void, stock back), a
-- return (refund_order), or a refund made at payments directly (learnt from evt.payment.refunded).
-- The row is committed before payments or the catalog is asked, and finished in a new transaction,
-- so no order row is locked during a remote call; one pending at a time per order, and fulfilment
-- refuses an order while one is pending. A row left pending (a crash) is finished by the sweep.
create table order_refunds (
  id uuid primary key,
  order_id uuid not null references orders (id),
  kind text not null check (kind in ('cancel', 'return', 'payment')),
  status text not null check (status in ('pending', 'done', 'failed')),
  -- The refund's key at payments (cancel, return); null for a refund payments already made.
  idempotency_key text unique,
  actor text not null,
  reason text not null,
  -- The order status it started from: a confirmed order's stock goes back, a shipped one's does not.
  from_status text not null,
  amount bigint check (amount >= 0),
  error jsonb,
  attempt_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  completed_at timestamptz
);
create unique index order_refunds_one_pending on order_refunds (order_id) where status = 'pending';
create index order_refunds_pending on order_refunds (attempt_at) where status = 'pending';

alter table order_notifications drop constraint order_notifications_kind_check;
alter table order_notifications add constraint order_notifications_kind_check check (kind in ('confirmed', 'shipped', 'delivered', 'cancelled', 'refunded'));

-- Down Migration
alter table order_notifications drop constraint order_notifications_kind_check;
alter table order_notifications add constraint order_notifications_kind_check check (kind in ('confirmed', 'shipped', 'delivered', 'cancelled'));
drop table order_refunds;
alter table orders drop column amount_refunded;
