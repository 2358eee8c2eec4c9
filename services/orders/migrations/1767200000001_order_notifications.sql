-- Up Migration
-- One e-mail per (order, kind), whatever the number of events announcing that transition:
-- the notifier claims the row in the transaction that sends.
create table order_notifications (
  order_id uuid not null references orders (id),
  kind text not null check (kind in ('confirmed', 'shipped', 'delivered', 'cancelled')),
  event_id text not null,
  sent_at timestamptz not null default now(),
  primary key (order_id, kind)
);

-- Before this table only confirmations were mailed (de-duplicated by the inbox). A new consumer
-- reads the event stream from its start, so transitions that happened before now count as sent:
-- shoppers never get a late e-mail for an old shipment or cancellation.
insert into order_notifications (order_id, kind, event_id)
select distinct order_id, status, 'before-notifications'
from order_status_history
where status in ('shipped', 'delivered', 'cancelled');

-- Down Migration
drop table order_notifications;
