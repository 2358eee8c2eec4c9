import type { ToolName, AccountScope, ErrorCode } from '@shop/contracts';
import { requireScopes, type ScopeChallengeHandler } from '@modelcontextprotocol/server';

/**
 * How a tool may be called, as tools/list declares it (`securitySchemes`, OpenAI Apps SDK and the
 * MCP per-tool authorization pattern): `noauth` — it works for a guest; `oauth2` with scopes — a
 * signed-in call needs them. A tool with both works for guests and does more for an account.
 */
export type SecurityScheme = { type: 'noauth' } | { type: 'oauth2'; scopes: AccountScope[] };

export interface ToolSecurity {
  schemes: SecurityScheme[];
  /**
   * The scopes a signed-in call must carry. Without them the SDK answers 403 insufficient_scope
   * (the MCP step-up challenge) before the tool runs; a guest call runs as a guest.
   */
  scopes: AccountScope[];
}

const guest: ToolSecurity = { schemes: [{ type: 'noauth' }], scopes: [] };
/** Carts and guest checkout: anyone; signed in, the cart is the account's (any valid token). */
const guestOrAccount: ToolSecurity = { schemes: [{ type: 'noauth' }, { type: 'oauth2', scopes: [] }], scopes: [] };
/** The account's orders (history across conversations; cancel, refund, reorder of account orders). */
const orders: ToolSecurity = { schemes: [{ type: 'noauth' }, { type: 'oauth2', scopes: ['shop.orders'] }], scopes: ['shop.orders'] };
/** The account's saved payment methods; a guest sees the provider's test cards only. */
const paymentMethods: ToolSecurity = { schemes: [{ type: 'noauth' }, { type: 'oauth2', scopes: ['shop.payment_methods'] }], scopes: ['shop.payment_methods'] };
/** Checkout shows saved methods only with shop.payment_methods, and works without it (guest checkout). */
const checkout: ToolSecurity = { schemes: [{ type: 'noauth' }, { type: 'oauth2', scopes: ['shop.payment_methods'] }], scopes: [] };

/** Every tool's access, in one table (tools/list, the scope challenge and sign-in answers read it). */
export const toolSecurity: Record<ToolName, ToolSecurity> = {
  search_products: guest,
  get_product_details: guest,
  get_store_policies: guest,
  add_to_cart: guestOrAccount,
  view_cart: guestOrAccount,
  update_cart_item: guestOrAccount,
  remove_from_cart: guestOrAccount,
  apply_coupon: guestOrAccount,
  remove_coupon: guestOrAccount,
  start_checkout: checkout,
  update_checkout: checkout,
  create_checkout_link: checkout,
  place_order: checkout,
  list_payment_methods: paymentMethods,
  get_order_status: orders,
  list_orders: orders,
  cancel_order: orders,
  refund_order: orders,
  reorder: orders,
};

/** The SDK hook that answers a signed-in call without the tool's scopes with 403 insufficient_scope. */
export function scopeChallengeFor(name: ToolName): ScopeChallengeHandler | undefined {
  const [first, ...rest] = toolSecurity[name].scopes;
  return first ? requireScopes(first, ...rest) : undefined;
}

/**
 * Errors a guest gets where the thing asked for may belong to an account: an account's cart, or an
 * order the guest's conversation does not own (orders answers ORDER_NOT_FOUND for both, so the
 * answer does not tell whether the order exists). Signing in is the way on, so the result carries
 * the sign-in challenge.
 */
const signInMayHelp: ReadonlySet<ErrorCode> = new Set(['CART_FORBIDDEN', 'ORDER_NOT_FOUND', 'ORDER_FORBIDDEN', 'PAYMENT_METHOD_NOT_FOUND']);

export interface SignInAnswer {
  message: string;
  /** The scopes to ask for: the tool's, else every shop scope the oauth2 scheme names. */
  scopes: AccountScope[];
}

/** What a guest is told instead of `code` from `tool`, when signing in could be the way on. */
export function signInAnswer(name: ToolName, code: ErrorCode, message: string): SignInAnswer | undefined {
  const oauth = toolSecurity[name].schemes.find((s): s is Extract<SecurityScheme, { type: 'oauth2' }> => s.type === 'oauth2');
  if (!oauth || !signInMayHelp.has(code)) return undefined;
  const why =
    code === 'CART_FORBIDDEN'
      ? 'This cart belongs to a shop account.'
      : code === 'PAYMENT_METHOD_NOT_FOUND'
        ? `${message.replace(/\.?$/, '.')} Saved payment methods belong to a shop account.`
        : `${message.replace(/\.?$/, '.')} Orders placed while signed in belong to the shop account.`;
  return { message: `${why} Sign in to your shop account (connect it in this app) and ask again.`, scopes: oauth.scopes };
}

/**
 * The scopes a signed-in call lacked, where its refusal is one they would have avoided: a saved
 * card named by a token without shop.payment_methods (app/shared.ts assertMayPayWith). The answer
 * then carries the step-up challenge for them, as a guest's carries the sign-in one.
 */
export function missingScopes(code: ErrorCode, granted: readonly string[]): AccountScope[] {
  return code === 'PAYMENT_METHOD_NOT_FOUND' && !granted.includes('shop.payment_methods') ? ['shop.payment_methods'] : [];
}
