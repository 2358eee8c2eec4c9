-- Up Migration
-- The shopper asked to save the payment method for next time; orders passes it on to payments,
-- which saves it only for a cart with an owner subject.
alter table carts add column save_payment_method boolean not null default false;

-- Down Migration
alter table carts drop column save_payment_method;
