import { MAX_LINES_PER_CART, MAX_QUANTITY_PER_LINE } from './limits.js';

/** What the merge needs to know of each cart. */
export interface JoiningCart {
  coupon_code: string | null;
  /** The shopper began checkout in this cart (address, method, terms…). */
  checkout_started: boolean;
}

export interface JoinLine {
  product_id: string;
  variant_id: string;
  quantity: number;
}

export interface JoinPlan<L extends JoinLine> {
  /** Lines of the conversation cart that add to a line of the account cart (summed up to the per-line maximum). */
  merged: Array<{ line: L; quantity: number }>;
  /** Lines that become new lines of the account cart. */
  added: L[];
  /** Lines left out: the account cart already holds the most distinct items a cart may. */
  dropped: L[];
  /** The coupon the account cart ends with. */
  coupon: string | null;
  /** Whose checkout details the account cart ends with. */
  checkoutFrom: 'account' | 'conversation';
}

/**
 * The rule when a conversation's anonymous cart joins an account that already has an open cart
 * (docs/DECISIONS.md "An anonymous cart joins the account"): every line moves into the account's
 * cart, the same item summing its quantities up to MAX_QUANTITY_PER_LINE, new items up to
 * MAX_LINES_PER_CART distinct ones; the account cart's coupon is kept, else the conversation cart's
 * (one coupon per cart, re-checked on the next read like any other); the checkout details come
 * from the conversation cart when the shopper began checkout there (they were just entered, in
 * this conversation), else the account cart keeps its own.
 */
export function planJoin<L extends JoinLine>(account: JoiningCart, accountLines: readonly JoinLine[], conversation: JoiningCart, conversationLines: readonly L[]): JoinPlan<L> {
  const held = new Map(accountLines.map((l) => [`${l.product_id}/${l.variant_id}`, l.quantity]));
  let distinct = held.size;
  const plan: JoinPlan<L> = {
    merged: [],
    added: [],
    dropped: [],
    coupon: account.coupon_code ?? conversation.coupon_code,
    checkoutFrom: conversation.checkout_started ? 'conversation' : 'account',
  };
  for (const line of conversationLines) {
    const there = held.get(`${line.product_id}/${line.variant_id}`);
    if (there !== undefined) plan.merged.push({ line, quantity: Math.min(there + line.quantity, MAX_QUANTITY_PER_LINE) });
    else if (distinct < MAX_LINES_PER_CART) {
      plan.added.push(line);
      distinct++;
    } else plan.dropped.push(line);
  }
  return plan;
}
