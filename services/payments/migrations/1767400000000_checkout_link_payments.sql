-- Up Migration
-- A checkout link created for an order pays that order: the payment is recorded when the link is
-- created (pending, the checkout session as provider_ref) and captured when the link is paid.
alter table checkout_links
  add column order_id uuid,
  add column payment_id uuid references payments (id);
create unique index checkout_links_by_payment on checkout_links (payment_id) where payment_id is not null;

-- Down Migration
drop index checkout_links_by_payment;
alter table checkout_links
  drop column payment_id,
  drop column order_id;
