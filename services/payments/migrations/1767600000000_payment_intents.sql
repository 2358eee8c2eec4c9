-- Up Migration
-- A provider call is never made inside a database transaction: the intent is recorded and committed
-- first, the provider is called (with the operation's idempotency key), and the result is recorded in
-- a new transaction. pending_op names the call under way; pending_since is when it was last claimed
-- ('-infinity' after a retryable failure: anyone may try again at once). A sweep finishes intents a
-- crash or a lost reply left behind, asking the provider again with the same idempotency key.
alter table payments
  add column pending_op text check (pending_op in ('authorize', 'capture', 'void')),
  add column pending_since timestamptz;
create index payments_pending_intents on payments (pending_since) where pending_op is not null;

-- A refund row is written before the provider is asked: settled_at is null until its outcome is
-- recorded, and its amount counts against what may still be refunded meanwhile. requested_by is the
-- service that asked (orders is the only caller meant to refund).
alter table refunds
  add column settled_at timestamptz,
  add column attempt_at timestamptz,
  add column requested_by text not null default 'unknown',
  add column failure_message text;
update refunds set settled_at = created_at;
create index refunds_unsettled on refunds (attempt_at) where settled_at is null;

-- A checkout link is asked of the provider after this row commits and recorded (the row deleted)
-- in a new transaction; a row left behind is finished by the sweep with the same idempotency key.
create table checkout_link_intents (
  idempotency_key text primary key,
  request jsonb not null,
  attempt_at timestamptz not null default now(),
  created_at timestamptz not null default now()
);

-- Down Migration
drop table checkout_link_intents;
drop index refunds_unsettled;
alter table refunds drop column failure_message, drop column requested_by, drop column attempt_at, drop column settled_at;
drop index payments_pending_intents;
alter table payments drop column pending_since, drop column pending_op;
