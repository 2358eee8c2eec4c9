-- Up Migration
-- Saved payment methods belong to shop accounts (issue 16). The former table was keyed by whatever
-- the gateway sent as a customer (an unverified host subject, else a conversation id): none of its
-- rows can be attributed to an account, so they are dropped, not carried over. Only provider tokens
-- and what a shopper may see of them (brand, last 4) are kept, never card data.
drop table saved_payment_methods;

create table account_payment_methods (
  account_id uuid not null,
  payment_method_id text not null,
  brand text not null,
  last4 text not null check (last4 ~ '^[0-9]{4}$'),
  is_default boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (account_id, payment_method_id)
);
-- At most one default per account.
create unique index account_payment_methods_default on account_payment_methods (account_id) where is_default;

-- The provider's customer of each account, created the first time the account needs one (a saved
-- card to charge or attach, a setup session). One per account and provider.
create table payment_customers (
  account_id uuid not null,
  provider text not null check (provider in ('demo', 'stripe')),
  provider_customer_id text not null,
  created_at timestamptz not null default now(),
  primary key (account_id, provider),
  unique (provider, provider_customer_id)
);

-- The order's account and the provider customer the payment was made under (null: a guest order or
-- a test card); save_for_customer now holds an account id or nothing.
alter table payments add column account_id uuid, add column provider_customer text;
update payments set save_for_customer = null;

-- Down Migration
alter table payments drop column provider_customer, drop column account_id;
drop table payment_customers;
drop table account_payment_methods;
create table saved_payment_methods (
  customer text not null,
  payment_method_id text not null,
  brand text not null,
  last4 text not null check (last4 ~ '^[0-9]{4}$'),
  created_at timestamptz not null default now(),
  primary key (customer, payment_method_id)
);
