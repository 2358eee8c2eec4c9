-- Up Migration
-- Orders paid through an external checkout link wait in saga step awaiting_payment until the link
-- is paid (confirm), cancelled or expired (compensate).
alter table orders drop constraint orders_saga_step_check;
alter table orders add constraint orders_saga_step_check
  check (saga_step in ('created', 'validated', 'reserved', 'charging', 'awaiting_payment', 'charged', 'confirmed', 'compensating', 'failed', 'refused'));
alter table orders
  -- true: paid through a checkout link; false: a saved method charged by the saga.
  add column external_payment boolean not null default false,
  add column checkout_link_id text,
  add column checkout_url text,
  add column checkout_expires_at timestamptz,
  -- When recovery last asked payments about the link's payment, so it asks again only now and then.
  add column payment_checked_at timestamptz;

-- Down Migration
alter table orders
  drop column payment_checked_at,
  drop column checkout_expires_at,
  drop column checkout_url,
  drop column checkout_link_id,
  drop column external_payment;
alter table orders drop constraint orders_saga_step_check;
alter table orders add constraint orders_saga_step_check
  check (saga_step in ('created', 'validated', 'reserved', 'charging', 'charged', 'confirmed', 'compensating', 'failed', 'refused'));
