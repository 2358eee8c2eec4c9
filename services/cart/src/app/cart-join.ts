import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError, cartConversation, type Caller } from '@shop/contracts';
import { withTransaction } from '@shop/kit';
import * as db from '../db/carts.js';
import { planJoin } from '../domain/join.js';
import { MAX_QUANTITY_PER_LINE } from '../domain/limits.js';
import type { StoredCheckout } from '../domain/checkout.js';

export interface AccountCart {
  row: db.CartRow;
  /** This call created the cart (its event is in the outbox: kick the relay). */
  created: boolean;
}

/**
 * The cart of a signed-in caller (a verified account as subject), in one transaction under the
 * account's lock, so concurrent joins of one account serialise and it keeps one open cart:
 *
 * - the conversation's cart when the account already owns it;
 * - another account's cart in this conversation: CART_FORBIDDEN (an account's cart is never
 *   reachable by another account or by a guest);
 * - an anonymous cart in this conversation (the first signed-in call after a guest shopped here)
 *   joins the account: it becomes the account's cart when the account has no open cart, or its
 *   lines merge into the account's open cart (planJoin) and it is left empty and `merged`, so the
 *   conversation then resolves to the account's cart;
 * - otherwise the account's open cart from any conversation, or a new one when `create`.
 */
export async function accountCart(pool: pg.Pool, caller: Caller & { subject: string }, opts: {
    create: boolean;
    newId: () => string;
    storedCheckout: (c: db.CartRow) => StoredCheckout;
    /** Called in the transaction that created the cart (its evt.cart.created goes in the same outbox write). */
    onCreated: (tx: pg.PoolClient, row: db.CartRow) => Promise<void>;
  }): Promise<AccountCart | null> {
  const { subject, conversation } = caller;
  return withTransaction(pool, async (tx) => {
    await db.lockAccount(tx, subject);
    for (let attempt = 1; ; attempt++) {
      const here = conversation ? await db.lockActiveByConversation(tx, conversation) : null;
      if (here && here.owner_subject === subject) return { row: here, created: false };
      if (here && here.owner_subject !== null) throw new AppError('CART_FORBIDDEN', 'This cart belongs to another shopper.', { cart_id: here.id });
      const open = await db.lockOpenCartOfOwner(tx, subject, here?.id ?? null);
      if (here && !open) return { row: await db.setOwner(tx, here.id, subject), created: false };
      if (here && open) return { row: await merge(tx, here, open, subject, opts.storedCheckout), created: false };
      if (open) return { row: open, created: false };
      if (!opts.create) return null;
      const id = opts.newId();
      // Without a conversation the cart is its own (cartConversation), as for a guest.
      const row = await db.insertCart(tx, { id, owner_subject: subject, conversation: conversation ?? cartConversation(id) });
      if (row) {
        await opts.onCreated(tx, row);
        return { row, created: true };
      }
      // A guest call made this conversation's cart between our look and our insert (guests take no
      // account lock): it is committed, so looking again finds it and it joins.
      if (attempt >= 2) throw new AppError('UNAVAILABLE', 'The cart could not be created. Please try again.');
    }
  });
}

async function merge(tx: pg.PoolClient, from: db.CartRow, into: db.CartRow, subject: string, storedCheckout: (c: db.CartRow) => StoredCheckout): Promise<db.CartRow> {
  const [fromLines, intoLines] = await Promise.all([db.findLines(tx, from.id), db.findLines(tx, into.id)]);
  const plan = planJoin(
    { coupon_code: into.coupon_code, checkout_started: checkoutBegun(into) },
    intoLines,
    { coupon_code: from.coupon_code, checkout_started: checkoutBegun(from) },
    fromLines,
  );
  for (const { line } of plan.merged) await db.mergeLine(tx, into.id, line, randomUUID(), MAX_QUANTITY_PER_LINE);
  for (const line of plan.added) await db.mergeLine(tx, into.id, line, randomUUID(), MAX_QUANTITY_PER_LINE);
  if (plan.coupon !== into.coupon_code) await db.setCoupon(tx, into.id, plan.coupon);
  if (plan.checkoutFrom === 'conversation') {
    await db.saveCheckout(tx, into.id, storedCheckout(from));
    if (from.checkout_started_at !== null) await db.markCheckoutStarted(tx, into.id);
  }
  await db.markMerged(tx, from.id, into.id, subject);
  await db.bumpVersion(tx, into.id);
  return (await db.findCart(tx, into.id))!;
}

/** The shopper began checkout in this cart: started it, or gave any of its details. */
function checkoutBegun(c: db.CartRow): boolean {
  return c.checkout_started_at !== null || c.shipping_address !== null || c.shipping_method !== null || c.payment_method_id !== null || c.terms_accepted;
}
