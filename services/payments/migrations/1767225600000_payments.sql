-- Up Migration
create table payments (
  id uuid primary key,
  provider text not null check (provider in ('demo', 'stripe')),
  -- The provider's id for this payment (a PaymentIntent id); null until the provider was asked.
  provider_ref text,
  order_id uuid not null,
  customer text not null,
  amount bigint not null check (amount > 0),
  currency text not null,
  capture boolean not null,
  status text not null,
  amount_captured bigint not null default 0 check (amount_captured >= 0 and amount_captured <= amount),
  amount_refunded bigint not null default 0 check (amount_refunded >= 0 and amount_refunded <= amount_captured),
  idempotency_key text not null unique,
  description text,
  payment_method_id text,
  payment_method_brand text,
  payment_method_last4 text,
  failure_code text,
  failure_message text,
  next_action_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index payments_by_order on payments (order_id, created_at desc);
create unique index payments_by_provider_ref on payments (provider, provider_ref) where provider_ref is not null;

create table refunds (
  id uuid primary key,
  payment_id uuid not null references payments (id),
  amount bigint not null check (amount > 0),
  status text not null check (status in ('pending', 'succeeded', 'failed')),
  reason text,
  idempotency_key text not null unique,
  provider_ref text,
  created_at timestamptz not null default now()
);
create index refunds_by_payment on refunds (payment_id);

-- Every verified provider event, recorded before it is processed: the id de-duplicates
-- redeliveries, and rows with no processed_at are retried.
create table processed_webhook_events (
  event_id text primary key,
  provider text not null,
  type text not null,
  payload jsonb not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  attempts int not null default 0,
  last_error text
);
create index webhook_events_pending on processed_webhook_events (received_at) where processed_at is null;

create table checkout_links (
  id text primary key,
  provider text not null check (provider in ('demo', 'stripe')),
  cart_id text not null,
  customer text not null,
  amount bigint not null check (amount > 0),
  currency text not null,
  line_items jsonb not null,
  idempotency_key text not null unique,
  status text not null check (status in ('open', 'completed', 'canceled', 'expired')),
  url text not null,
  provider_payment_ref text,
  expires_at timestamptz not null,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index checkout_links_by_cart on checkout_links (cart_id);

-- Down Migration
drop table checkout_links;
drop table processed_webhook_events;
drop table refunds;
drop table payments;
