import type pg from 'pg';
import type { CartStatus } from '@shop/contracts';
import type { StoredLine } from '../domain/reprice.js';
import type { StoredCheckout } from '../domain/checkout.js';

export type Queryable = Pick<pg.PoolClient, 'query'>;

/** A cart as stored: its checkout columns are the domain's StoredCheckout (with the start time in place of `started`). */
export interface CartRow extends Omit<StoredCheckout, 'started'> {
  id: string;
  status: CartStatus;
  owner_subject: string | null;
  conversation: string | null;
  currency: 'USD';
  coupon_code: string | null;
  checkout_started_at: Date | null;
  order_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

// preferred_delivery_date is selected as YYYY-MM-DD text, so no time zone can shift the day.
const cartColumns = `id, status, owner_subject, conversation, currency, coupon_code, shipping_address, shipping_method,
  billing_same_as_shipping, billing_address, payment_method_id, terms_accepted, terms_version,
  to_char(preferred_delivery_date, 'YYYY-MM-DD') as preferred_delivery_date, delivery_instructions, save_payment_method, checkout_started_at, order_id,
  version, created_at, updated_at`;
const lineColumns = 'id, product_id, variant_id, name, brand, size, color, image_url, unit_price, quantity';

export async function findCart(q: Queryable, id: string): Promise<CartRow | null> {
  const { rows } = await q.query<CartRow>({ text: `select ${cartColumns} from carts where id = $1`, values: [id] });
  return rows[0] ?? null;
}

export async function lockCart(q: Queryable, id: string): Promise<CartRow | null> {
  const { rows } = await q.query<CartRow>({ text: `select ${cartColumns} from carts where id = $1 for update`, values: [id] });
  return rows[0] ?? null;
}

export async function findLines(q: Queryable, cartId: string): Promise<StoredLine[]> {
  const { rows } = await q.query<StoredLine>({
    text: `select ${lineColumns} from cart_lines where cart_id = $1 order by created_at, id`,
    values: [cartId],
  });
  return rows;
}

export async function findActiveByConversation(q: Queryable, conversation: string): Promise<CartRow | null> {
  const { rows } = await q.query<CartRow>({
    text: `select ${cartColumns} from carts where conversation = $1 and status = 'active'`,
    values: [conversation],
  });
  return rows[0] ?? null;
}

/**
 * The conversation's active cart with its lines, in one statement (a guest's add and view start
 * here): the lines as JSON, whose fields are all text and integers, so nothing is lost on the way.
 */
export async function findActiveByConversationWithLines(q: Queryable, conversation: string): Promise<{ cart: CartRow; lines: StoredLine[] } | null> {
  const { rows } = await q.query<CartRow & { lines: StoredLine[] }>({
    text: `select c.*, coalesce(l.lines, '[]'::json) as lines
           from (select ${cartColumns} from carts where conversation = $1 and status = 'active') c
           left join lateral (
             select json_agg(json_build_object(${lineColumns
               .split(', ')
               .map((col) => `'${col}', ${col}`)
               .join(', ')}) order by created_at, id) lines
             from cart_lines where cart_id = c.id
           ) l on true`,
    values: [conversation],
  });
  if (!rows[0]) return null;
  const { lines, ...cart } = rows[0];
  return { cart, lines };
}

/** Inserts a cart; for a conversation that already has an active cart, inserts nothing and returns null. */
export async function insertCart(q: Queryable, cart: { id: string; owner_subject: string | null; conversation: string | null }): Promise<CartRow | null> {
  const { rows } = await q.query<CartRow>(
    `insert into carts (id, owner_subject, conversation) values ($1, $2, $3)
     on conflict (conversation) where status = 'active' and conversation is not null do nothing
     returning ${cartColumns}`,
    [cart.id, cart.owner_subject, cart.conversation],
  );
  return rows[0] ?? null;
}

/** Records a change to lines, coupon or checkout: the version orders derive idempotency from. */
/** Bumps the version after a change, returning the whole row as the change left it. */
export async function bumpVersion(q: Queryable, id: string): Promise<CartRow> {
  const { rows } = await q.query<CartRow>({
    text: `update carts set version = version + 1, updated_at = now() where id = $1 returning ${cartColumns}`,
    values: [id],
  });
  return rows[0];
}

/** An add to a variant the cart already holds adds units to its line and takes the current price and wording. */
const mergeIntoLine = `on conflict (cart_id, product_id, variant_id) do update
  set quantity = cart_lines.quantity + excluded.quantity, unit_price = excluded.unit_price, name = excluded.name,
      brand = excluded.brand, image_url = excluded.image_url, updated_at = now()
  returning ${lineColumns}`;

/**
 * Adds the line, or units to the one of the same variant, returning it as stored. A new line's
 * created_at is the insert's own time (not the transaction's start), so under the cart's row lock
 * it sorts after every line already there: the caller can place it last without reading them again.
 */
export async function upsertLine(q: Queryable, cartId: string, line: Omit<StoredLine, 'id'> & { id: string }): Promise<StoredLine> {
  const { rows } = await q.query<StoredLine>({
    text: `insert into cart_lines (id, cart_id, product_id, variant_id, name, brand, size, color, image_url, unit_price, quantity, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, clock_timestamp())
     ${mergeIntoLine}`,
    values: [line.id, cartId, line.product_id, line.variant_id, line.name, line.brand, line.size, line.color, line.image_url, line.unit_price, line.quantity],
  });
  return rows[0];
}

/**
 * upsertLine and the version bump in one statement, only if the cart is still at `version` and
 * active: a change that read the cart and its lines outside a transaction writes without a lock
 * held across the catalog call. Null when someone changed the cart meanwhile (nothing written).
 */
export async function upsertLineAtVersion(
  q: Queryable,
  cart: { id: string; version: number },
  line: Omit<StoredLine, 'id'> & { id: string },
): Promise<{ cart: CartRow; line: StoredLine } | null> {
  const { rows } = await q.query<CartRow & { stored_line: StoredLine }>({
    text: `with bumped as (
       update carts set version = version + 1, updated_at = now()
        where id = $1 and version = $2 and status = 'active'
        returning ${cartColumns}
     ), line as (
       insert into cart_lines (id, cart_id, product_id, variant_id, name, brand, size, color, image_url, unit_price, quantity, created_at)
       select $3::uuid, bumped.id, $4::uuid, $5::uuid, $6::text, $7::text, $8::text, $9::text, $10::text, $11::bigint, $12::integer, clock_timestamp()
         from bumped
       ${mergeIntoLine}
     )
     select bumped.*, to_json(line.*) as stored_line from bumped, line`,
    values: [cart.id, cart.version, line.id, line.product_id, line.variant_id, line.name, line.brand, line.size, line.color, line.image_url, line.unit_price, line.quantity],
  });
  const row = rows[0];
  if (!row) return null;
  const { stored_line, ...written } = row;
  return { cart: written, line: stored_line };
}

export async function setLineQuantity(q: Queryable, cartId: string, lineId: string, quantity: number): Promise<boolean> {
  const r = await q.query('update cart_lines set quantity = $3, updated_at = now() where id = $2 and cart_id = $1', [cartId, lineId, quantity]);
  return r.rowCount === 1;
}

export async function setLinePrice(q: Queryable, cartId: string, lineId: string, unitPrice: number): Promise<void> {
  await q.query('update cart_lines set unit_price = $3, updated_at = now() where id = $2 and cart_id = $1', [cartId, lineId, unitPrice]);
}

export async function deleteLine(q: Queryable, cartId: string, lineId: string): Promise<boolean> {
  const r = await q.query('delete from cart_lines where id = $2 and cart_id = $1', [cartId, lineId]);
  return r.rowCount === 1;
}

export async function deleteAllLines(q: Queryable, cartId: string): Promise<void> {
  await q.query('delete from cart_lines where cart_id = $1', [cartId]);
}

export async function setCoupon(q: Queryable, cartId: string, code: string | null): Promise<void> {
  await q.query('update carts set coupon_code = $2 where id = $1', [cartId, code]);
}

export async function saveCheckout(q: Queryable, cartId: string, c: StoredCheckout): Promise<void> {
  await q.query(
    `update carts set shipping_address = $2, shipping_method = $3, billing_same_as_shipping = $4, billing_address = $5,
       payment_method_id = $6, terms_accepted = $7, terms_version = $8, preferred_delivery_date = $9::date,
       delivery_instructions = $10, save_payment_method = $11 where id = $1`,
    [
      cartId,
      c.shipping_address === null ? null : JSON.stringify(c.shipping_address),
      c.shipping_method,
      c.billing_same_as_shipping,
      c.billing_address === null ? null : JSON.stringify(c.billing_address),
      c.payment_method_id,
      c.terms_accepted,
      c.terms_version,
      c.preferred_delivery_date,
      c.delivery_instructions,
      c.save_payment_method,
    ],
  );
}

export async function markCheckoutStarted(q: Queryable, cartId: string): Promise<void> {
  await q.query('update carts set checkout_started_at = coalesce(checkout_started_at, now()) where id = $1', [cartId]);
}

/** Returns the cart's new version. */
export async function markConverted(q: Queryable, cartId: string, orderId: string): Promise<number> {
  const { rows } = await q.query<{ version: number }>(
    `update carts set status = 'converted', order_id = $2, converted_at = now(), version = version + 1, updated_at = now() where id = $1 returning version`,
    [cartId, orderId],
  );
  return rows[0].version;
}

export async function itemCount(q: Queryable, cartId: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>('select coalesce(sum(quantity), 0)::int as n from cart_lines where cart_id = $1', [cartId]);
  return rows[0].n;
}

export interface AbandonedCart {
  id: string;
  owner_subject: string | null;
  conversation: string | null;
  item_count: number;
}

/**
 * Marks up to `limit` carts unchanged for `idleSeconds` as abandoned. SKIP LOCKED lets several
 * instances sweep at once without waiting on each other or on carts being changed right now.
 */
export async function abandonIdle(q: Queryable, idleSeconds: number, limit: number): Promise<AbandonedCart[]> {
  const { rows } = await q.query<AbandonedCart>(
    `with idle as (
       select id from carts where status = 'active' and updated_at < now() - make_interval(secs => $1)
       order by updated_at limit $2 for update skip locked
     )
     update carts c set status = 'abandoned', abandoned_at = now(), updated_at = now()
     from idle where c.id = idle.id
     returning c.id, c.owner_subject, c.conversation,
       (select coalesce(sum(l.quantity), 0)::int from cart_lines l where l.cart_id = c.id) as item_count`,
    [idleSeconds, limit],
  );
  return rows;
}

// ---- an anonymous cart joining an account (app/cart-join.ts) ------------------------------------

/** Serialises every join and account-cart creation of one account: at most one open cart comes of them. */
export async function lockAccount(q: Queryable, subject: string): Promise<void> {
  await q.query('select pg_advisory_xact_lock(hashtext($1))', [`cart-account:${subject}`]);
}

export async function lockActiveByConversation(q: Queryable, conversation: string): Promise<CartRow | null> {
  const { rows } = await q.query<CartRow>(`select ${cartColumns} from carts where conversation = $1 and status = 'active' for update`, [conversation]);
  return rows[0] ?? null;
}

/** The account's open cart: its most recently changed active cart (locked). */
export async function lockOpenCartOfOwner(q: Queryable, subject: string, except: string | null): Promise<CartRow | null> {
  const { rows } = await q.query<CartRow>(
    `select ${cartColumns} from carts where owner_subject = $1 and status = 'active' and id is distinct from $2
     order by updated_at desc, id limit 1 for update`,
    [subject, except],
  );
  return rows[0] ?? null;
}

/** The account takes an anonymous cart as it is (lines, coupon, checkout). */
export async function setOwner(q: Queryable, cartId: string, subject: string): Promise<CartRow> {
  const { rows } = await q.query<CartRow>(
    `update carts set owner_subject = $2, version = version + 1, updated_at = now() where id = $1 and owner_subject is null returning ${cartColumns}`,
    [cartId, subject],
  );
  return rows[0];
}

/**
 * Moves one line into a cart: the same item adds its quantity to the line there, up to `maxQuantity`;
 * a new item becomes a line with the snapshot (name, price) it had.
 */
export async function mergeLine(q: Queryable, cartId: string, line: StoredLine, newId: string, maxQuantity: number): Promise<void> {
  await q.query(
    `insert into cart_lines (id, cart_id, product_id, variant_id, name, brand, size, color, image_url, unit_price, quantity)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, least($11::int, $12::int))
     on conflict (cart_id, product_id, variant_id) do update
       set quantity = least(cart_lines.quantity + excluded.quantity, $12::int), updated_at = now()`,
    [newId, cartId, line.product_id, line.variant_id, line.name, line.brand, line.size, line.color, line.image_url, line.unit_price, line.quantity, maxQuantity],
  );
}

/** The emptied conversation cart: merged into the account's, owned by the account, no longer active. */
export async function markMerged(q: Queryable, cartId: string, into: string, subject: string): Promise<void> {
  await q.query('delete from cart_lines where cart_id = $1', [cartId]);
  await q.query(
    `update carts set status = 'merged', merged_into = $2, merged_at = now(), owner_subject = $3, version = version + 1, updated_at = now() where id = $1`,
    [cartId, into, subject],
  );
}

export async function mergedInto(q: Queryable, cartId: string): Promise<string | null> {
  const { rows } = await q.query<{ merged_into: string | null }>('select merged_into from carts where id = $1', [cartId]);
  return rows[0]?.merged_into ?? null;
}
