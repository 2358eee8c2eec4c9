-- Up Migration
-- At most one placement per cart, decided by this database before anything is reserved or charged:
-- an order holds its cart from its insert until its saga ends failed or refused. A second placement
-- of the cart, under any key and on any instance, conflicts here and follows the order that holds it.
-- A direct placement takes the cart over from a link order awaiting payment in one transaction
-- (replaced_by set on the link order, the new order inserted), so exactly one of them holds it.
alter table orders
  -- Checked at commit: the takeover releases the link order before the direct order is inserted.
  add column replaced_by uuid references orders (id) deferrable initially deferred,
  -- The saga step a compensation began at: it undoes the steps up to that one, and no others.
  add column compensate_from text;

-- Coupon uses are reserved with the cart service before the stock (saga step coupon_reserved).
alter table orders drop constraint orders_saga_step_check;
alter table orders add constraint orders_saga_step_check
  check (saga_step in ('created', 'validated', 'coupon_reserved', 'reserved', 'charging', 'awaiting_payment', 'charged', 'confirmed', 'compensating', 'failed', 'refused'));

-- Carts placed more than once before this index (two checkout links of one cart): the most advanced
-- order keeps the cart; the others stop holding it (superseded), and are still finished by recovery.
update orders set superseded = true
where id in (
  select id from (
    select id, row_number() over (partition by cart_id order by (saga_step in ('charged', 'confirmed')) desc, created_at desc) as rank
    from orders where saga_step not in ('failed', 'refused') and not superseded
  ) ranked
  where rank > 1
);

create unique index orders_one_placement_per_cart on orders (cart_id)
  where saga_step not in ('failed', 'refused') and replaced_by is null and not superseded;

-- Down Migration
drop index orders_one_placement_per_cart;
alter table orders drop constraint orders_saga_step_check;
alter table orders add constraint orders_saga_step_check
  check (saga_step in ('created', 'validated', 'reserved', 'charging', 'awaiting_payment', 'charged', 'confirmed', 'compensating', 'failed', 'refused'));
alter table orders drop column compensate_from, drop column replaced_by;
