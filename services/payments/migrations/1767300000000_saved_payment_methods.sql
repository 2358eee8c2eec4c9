-- Up Migration
-- Payment methods shoppers asked to keep for later orders: only provider tokens and what a shopper
-- may see of them (brand, last 4), never card data. One row per customer and method.
create table saved_payment_methods (
  customer text not null,
  payment_method_id text not null,
  brand text not null,
  last4 text not null check (last4 ~ '^[0-9]{4}$'),
  created_at timestamptz not null default now(),
  primary key (customer, payment_method_id)
);

-- The customer (owner subject) to save the payment's method for once it succeeds; null: save nothing.
alter table payments add column save_for_customer text;

-- Down Migration
alter table payments drop column save_for_customer;
drop table saved_payment_methods;
