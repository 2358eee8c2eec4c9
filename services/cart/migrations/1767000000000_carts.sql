-- Up Migration
create table coupons (
  code text primary key check (code = upper(code)),
  type text not null check (type in ('percentage', 'fixed', 'free_shipping')),
  value integer not null check (value >= 0),
  min_subtotal bigint not null default 0 check (min_subtotal >= 0),
  valid_from timestamptz,
  valid_until timestamptz,
  usage_limit integer check (usage_limit is null or usage_limit >= 0),
  times_used integer not null default 0 check (times_used >= 0),
  active boolean not null default true,
  description text not null,
  check (type <> 'percentage' or value between 1 and 100)
);

-- One row per order that used a coupon: usage is counted once per order whatever redelivers.
create table coupon_redemptions (
  order_id uuid primary key,
  code text not null references coupons (code),
  cart_id text not null,
  redeemed_at timestamptz not null default now()
);

create table carts (
  id text primary key check (id ~ '^[0-9a-f]{32}$'),
  status text not null default 'active' check (status in ('active', 'converted', 'abandoned')),
  owner_subject text,
  conversation text,
  currency text not null default 'USD',
  coupon_code text references coupons (code),
  shipping_address jsonb,
  shipping_method text check (shipping_method in ('standard', 'express')),
  billing_same_as_shipping boolean not null default true,
  billing_address jsonb,
  payment_method_id text,
  terms_accepted boolean not null default false,
  checkout_started_at timestamptz,
  order_id uuid,
  version integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  converted_at timestamptz,
  abandoned_at timestamptz
);
-- A conversation has at most one active cart; get-or-create relies on it under concurrency.
create unique index carts_active_conversation on carts (conversation) where status = 'active' and conversation is not null;
-- The idle sweep scans active carts by last change.
create index carts_active_idle on carts (updated_at) where status = 'active';

create table cart_lines (
  id uuid primary key,
  cart_id text not null references carts (id) on delete cascade,
  product_id uuid not null,
  variant_id uuid not null,
  name text not null,
  brand text not null,
  size text,
  color text,
  image_url text not null,
  unit_price bigint not null check (unit_price >= 0),
  quantity integer not null check (quantity between 1 and 99),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- The same product and variant is one line: concurrent adds merge through an upsert on this.
  unique (cart_id, product_id, variant_id)
);

insert into coupons (code, type, value, min_subtotal, valid_from, valid_until, usage_limit, description) values
  ('WELCOME10', 'percentage', 10, 2000, null, null, null, '10 % off orders of $20.00 or more'),
  ('SAVE5', 'fixed', 500, 2500, null, null, null, '$5.00 off orders of $25.00 or more'),
  ('FREESHIP', 'free_shipping', 0, 0, null, null, null, 'Free shipping on any order'),
  ('EXPIRED20', 'percentage', 20, 0, '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z', null, '20 % off (expired)');

-- Down Migration
drop table cart_lines;
drop table carts;
drop table coupon_redemptions;
drop table coupons;
