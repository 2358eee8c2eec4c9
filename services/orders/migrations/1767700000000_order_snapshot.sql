-- Up Migration
-- The validated cart an order froze at placement, as one document checked against the contract's
-- OrderSnapshot on write and on read, instead of sixteen nullable columns filled in one UPDATE.
-- Null until the cart is validated (the order has no shopper-visible form before).
alter table orders add column snapshot jsonb
  check (snapshot is null or (jsonb_typeof(snapshot) = 'object' and (snapshot->>'total')::bigint >= 0));

update orders set snapshot = jsonb_build_object(
    'coupon', coupon,
    'subtotal', subtotal,
    'discount', discount,
    'shipping', shipping,
    'tax', tax,
    'total', total,
    'item_count', item_count,
    'shipping_method', shipping_method,
    'shipping_address', shipping_address,
    'billing_address', billing_address,
    'estimated_delivery', jsonb_build_object('earliest', delivery_earliest::text, 'latest', delivery_latest::text),
    'preferred_delivery_date', preferred_delivery_date::text,
    'delivery_instructions', delivery_instructions,
    'terms_version', terms_version,
    'customer', customer,
    'payment_method_id', payment_method_id,
    'save_payment_method_for', save_payment_method_for)
  where total is not null;

alter table orders
  drop column coupon, drop column subtotal, drop column discount, drop column shipping, drop column tax,
  drop column total, drop column item_count, drop column shipping_method, drop column shipping_address,
  drop column billing_address, drop column delivery_earliest, drop column delivery_latest,
  drop column preferred_delivery_date, drop column delivery_instructions, drop column terms_version,
  drop column customer, drop column payment_method_id, drop column save_payment_method_for;

-- Down Migration
alter table orders
  add column customer text,
  add column payment_method_id text,
  add column subtotal bigint check (subtotal >= 0),
  add column discount bigint check (discount >= 0),
  add column shipping bigint check (shipping >= 0),
  add column tax bigint check (tax >= 0),
  add column total bigint check (total >= 0),
  add column item_count int,
  add column coupon jsonb,
  add column shipping_method text check (shipping_method in ('standard', 'express')),
  add column shipping_address jsonb,
  add column billing_address jsonb,
  add column delivery_earliest date,
  add column delivery_latest date,
  add column preferred_delivery_date date,
  add column delivery_instructions text check (char_length(delivery_instructions) <= 500),
  add column terms_version text,
  add column save_payment_method_for text;

update orders set
    customer = snapshot->>'customer',
    payment_method_id = snapshot->>'payment_method_id',
    subtotal = (snapshot->>'subtotal')::bigint,
    discount = (snapshot->>'discount')::bigint,
    shipping = (snapshot->>'shipping')::bigint,
    tax = (snapshot->>'tax')::bigint,
    total = (snapshot->>'total')::bigint,
    item_count = (snapshot->>'item_count')::int,
    coupon = nullif(snapshot->'coupon', 'null'::jsonb),
    shipping_method = snapshot->>'shipping_method',
    shipping_address = snapshot->'shipping_address',
    billing_address = snapshot->'billing_address',
    delivery_earliest = (snapshot->'estimated_delivery'->>'earliest')::date,
    delivery_latest = (snapshot->'estimated_delivery'->>'latest')::date,
    preferred_delivery_date = (snapshot->>'preferred_delivery_date')::date,
    delivery_instructions = snapshot->>'delivery_instructions',
    terms_version = snapshot->>'terms_version',
    save_payment_method_for = snapshot->>'save_payment_method_for'
  where snapshot is not null;

alter table orders drop column snapshot;
