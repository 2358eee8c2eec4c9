-- Up Migration
create sequence order_number_seq;

create table orders (
  id uuid primary key,
  -- ORD-<year>-<n>, from order_number_seq.
  number text not null unique,
  cart_id text not null,
  -- The caller's key is scoped to the cart: two shoppers choosing the same key never share an order.
  idempotency_key text not null,
  status text not null check (status in ('pending', 'confirmed', 'shipped', 'delivered', 'cancelled', 'refunded', 'payment_failed')),
  saga_step text not null check (saga_step in ('created', 'validated', 'reserved', 'charging', 'charged', 'confirmed', 'compensating', 'failed', 'refused')),
  owner_subject text,
  conversation text,
  caller jsonb not null,
  payment_method_arg text,
  -- Filled when the cart is validated (step 2); null before.
  customer text,
  payment_method_id text,
  currency text not null default 'USD',
  subtotal bigint check (subtotal >= 0),
  discount bigint check (discount >= 0),
  shipping bigint check (shipping >= 0),
  tax bigint check (tax >= 0),
  total bigint check (total >= 0),
  item_count int,
  coupon jsonb,
  shipping_method text check (shipping_method in ('standard', 'express')),
  shipping_address jsonb,
  billing_address jsonb,
  delivery_earliest date,
  delivery_latest date,
  -- Payment: only the provider's id, brand, last 4 and status. Never card data.
  payment_id uuid,
  payment_status text,
  payment_brand text,
  payment_last4 text,
  tracking_carrier text,
  tracking_number text,
  tracking_url text,
  reason text,
  -- The refusal a retry under the same key gets again (code, message, details).
  refusal jsonb,
  -- What a compensation ends in: payment_failed or cancelled.
  compensate_to text check (compensate_to in ('payment_failed', 'cancelled')),
  -- A refusal for a passing cause (timeout) gives way to a new attempt under the same key.
  superseded boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index orders_idempotency on orders (cart_id, idempotency_key) where not superseded;
create index orders_by_owner on orders (owner_subject, created_at desc) where saga_step <> 'refused';
create index orders_by_conversation on orders (conversation, created_at desc) where saga_step <> 'refused';
create index orders_unfinished on orders (updated_at) where saga_step not in ('confirmed', 'failed', 'refused');

create table order_lines (
  order_id uuid not null references orders (id),
  position int not null,
  product_id uuid not null,
  variant_id uuid not null,
  name text not null,
  brand text not null,
  size text,
  color text,
  image_url text not null,
  unit_price bigint not null check (unit_price >= 0),
  quantity int not null check (quantity > 0),
  line_subtotal bigint not null check (line_subtotal >= 0),
  primary key (order_id, position)
);

create table order_status_history (
  id bigserial primary key,
  order_id uuid not null references orders (id),
  status text not null,
  actor text not null,
  reason text,
  at timestamptz not null default now()
);
create index order_status_history_by_order on order_status_history (order_id, id);

-- Append-only: every saga step and compensation as it happened.
create table saga_log (
  id bigserial primary key,
  order_id uuid not null references orders (id),
  step text not null,
  detail jsonb,
  at timestamptz not null default now()
);
create index saga_log_by_order on saga_log (order_id, id);
create rule saga_log_no_update as on update to saga_log do instead nothing;
create rule saga_log_no_delete as on delete to saga_log do instead nothing;

-- Down Migration
drop table saga_log;
drop table order_status_history;
drop table order_lines;
drop table orders;
drop sequence order_number_seq;
