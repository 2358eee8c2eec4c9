-- Up Migration
-- Delivery preferences on the shipping step, and the terms version a shopper accepted.
-- Carts that accepted terms before versions were recorded keep terms_version null, so they are
-- asked to accept the current terms again rather than being assumed to have accepted them.
alter table carts
  add column preferred_delivery_date date,
  add column delivery_instructions text check (char_length(delivery_instructions) <= 500),
  add column terms_version text;

-- Down Migration
alter table carts
  drop column terms_version,
  drop column delivery_instructions,
  drop column preferred_delivery_date;
