-- Up Migration
-- The placement saga in its own table: the cart it holds and the key it was asked under, its step,
-- how a compensation began and ends, and whether it still holds the cart. The order row keeps what
-- the order is (status, snapshot, payment, tracking). Every order has exactly one saga row; the
-- view orders_with_saga is the two as one row, which is what the service reads.
-- Locking rule: a change of an order's step or status locks its saga row first, then the order row.
create table order_sagas (
  order_id uuid primary key references orders (id) deferrable initially deferred,
  cart_id text not null,
  -- The caller's key is scoped to the cart: two shoppers choosing the same key never share an order.
  idempotency_key text not null,
  step text not null check (step in ('created', 'validated', 'coupon_reserved', 'reserved', 'charging', 'awaiting_payment', 'charged', 'confirmed', 'compensating', 'failed', 'refused')),
  -- The step a compensation began at (it undoes the steps up to that one), and what it ends in.
  compensate_from text,
  compensate_to text check (compensate_to in ('payment_failed', 'cancelled')),
  -- A refusal for a passing cause (timeout) gives way to a new attempt under the same key.
  superseded boolean not null default false,
  -- The direct order that took this link order's cart over; checked at commit, as the takeover
  -- releases the link order before the direct one is inserted.
  replaced_by uuid references order_sagas (order_id) deferrable initially deferred,
  -- The saga's last move: recovery's grace period and order count from it.
  updated_at timestamptz not null default now()
);

insert into order_sagas (order_id, cart_id, idempotency_key, step, compensate_from, compensate_to, superseded, replaced_by, updated_at)
  select id, cart_id, idempotency_key, saga_step, compensate_from, compensate_to, superseded, replaced_by, updated_at from orders;
-- The deferred key checks of the rows just copied run now: an index cannot be built over a table with checks pending.
set constraints all immediate;

create unique index order_sagas_idempotency on order_sagas (cart_id, idempotency_key) where not superseded;
-- At most one placement per cart, decided here before anything is reserved or charged.
create unique index order_sagas_one_placement_per_cart on order_sagas (cart_id)
  where step not in ('failed', 'refused') and replaced_by is null and not superseded;
create index order_sagas_unfinished on order_sagas (updated_at) where step not in ('confirmed', 'failed', 'refused');

-- Dropping the columns drops the indexes over them (one placement per cart, idempotency, unfinished, by owner and conversation).
alter table orders
  drop column cart_id, drop column idempotency_key, drop column saga_step, drop column compensate_from,
  drop column compensate_to, drop column superseded, drop column replaced_by;
-- A shopper's listing shows orders with a snapshot (a refused placement never has one shown).
create index orders_by_owner on orders (owner_subject, created_at desc) where snapshot is not null;
create index orders_by_conversation on orders (conversation, created_at desc) where snapshot is not null;

create view orders_with_saga as
  select o.*, s.cart_id, s.idempotency_key, s.step as saga_step, s.compensate_from, s.compensate_to, s.superseded, s.replaced_by
  from orders o join order_sagas s on s.order_id = o.id;

-- Down Migration
drop view orders_with_saga;
drop index orders_by_owner;
drop index orders_by_conversation;
alter table orders
  add column cart_id text,
  add column idempotency_key text,
  add column saga_step text,
  add column compensate_from text,
  add column compensate_to text check (compensate_to in ('payment_failed', 'cancelled')),
  add column superseded boolean not null default false,
  add column replaced_by uuid references orders (id) deferrable initially deferred;
update orders o set cart_id = s.cart_id, idempotency_key = s.idempotency_key, saga_step = s.step, compensate_from = s.compensate_from,
    compensate_to = s.compensate_to, superseded = s.superseded, replaced_by = s.replaced_by
  from order_sagas s where s.order_id = o.id;
set constraints all immediate;
alter table orders alter column cart_id set not null, alter column idempotency_key set not null, alter column saga_step set not null;
alter table orders add constraint orders_saga_step_check
  check (saga_step in ('created', 'validated', 'coupon_reserved', 'reserved', 'charging', 'awaiting_payment', 'charged', 'confirmed', 'compensating', 'failed', 'refused'));
create unique index orders_idempotency on orders (cart_id, idempotency_key) where not superseded;
create unique index orders_one_placement_per_cart on orders (cart_id)
  where saga_step not in ('failed', 'refused') and replaced_by is null and not superseded;
create index orders_by_owner on orders (owner_subject, created_at desc) where saga_step <> 'refused';
create index orders_by_conversation on orders (conversation, created_at desc) where saga_step <> 'refused';
create index orders_unfinished on orders (updated_at) where saga_step not in ('confirmed', 'failed', 'refused');
drop table order_sagas;
