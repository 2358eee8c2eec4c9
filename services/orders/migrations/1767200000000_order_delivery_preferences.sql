-- Up Migration
-- Snapshotted from the cart's checkout at placement; null when the shopper gave none.
alter table orders
  add column preferred_delivery_date date,
  -- The cart allows at most 500 JavaScript characters, never more code points than that.
  add column delivery_instructions text check (char_length(delivery_instructions) <= 500),
  add column terms_version text;

-- Down Migration
alter table orders
  drop column terms_version,
  drop column delivery_instructions,
  drop column preferred_delivery_date;
