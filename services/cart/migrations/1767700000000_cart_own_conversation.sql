-- Up Migration
-- A cart created without a conversation (a client that sends no conversation id) is its own
-- conversation, `cart:<id>`, so the orders placed from it are found by the cart id (issue 15).
-- The cart service sets it at creation; carts from before get the same.
update carts set conversation = 'cart:' || id where conversation is null;

-- Down Migration
update carts set conversation = null where conversation = 'cart:' || id;
