-- Up Migration
-- On sign-in a conversation's anonymous cart joins the account (issue 16, docs/DECISIONS.md "An
-- anonymous cart joins the account"): when the account already has an open cart, the conversation's
-- lines move into it and the emptied cart is kept as 'merged', naming the cart it went into.
alter table carts drop constraint carts_status_check;
alter table carts add constraint carts_status_check check (status in ('active', 'converted', 'abandoned', 'merged'));
alter table carts add column merged_into text references carts (id), add column merged_at timestamptz;
-- The account's open cart is looked up by its owner.
create index carts_active_owner on carts (owner_subject, updated_at desc) where status = 'active' and owner_subject is not null;

-- Down Migration
drop index carts_active_owner;
update carts set status = 'abandoned', abandoned_at = coalesce(merged_at, now()) where status = 'merged';
alter table carts drop column merged_at, drop column merged_into;
alter table carts drop constraint carts_status_check;
alter table carts add constraint carts_status_check check (status in ('active', 'converted', 'abandoned'));
