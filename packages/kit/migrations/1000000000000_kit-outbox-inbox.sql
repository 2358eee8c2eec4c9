-- Up Migration
-- Integration events are written here in the same transaction as the state change,
-- then published to JetStream by the relay (at least once; msg_id de-duplicates).
create table outbox (
  id bigserial primary key,
  msg_id uuid not null unique,
  subject text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz,
  attempts int not null default 0,
  last_error text
);
create index outbox_unpublished on outbox (id) where published_at is null;

-- Events this service has already handled, so redelivery never applies an event twice.
create table inbox (
  consumer text not null,
  event_id text not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, event_id)
);

-- Down Migration
drop table inbox;
drop table outbox;
