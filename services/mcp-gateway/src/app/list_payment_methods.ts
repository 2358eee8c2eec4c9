import { AppError, cartApi, CheckoutResult, toolArgs } from '@shop/contracts';
import { appToolMeta, checkoutOutcome, defineTool, namedCart, readOnly } from './shared.js';

export const listPaymentMethods = defineTool({
  name: 'list_payment_methods',
  title: 'List payment methods',
  description: 'Use this when the shopper asks how they can pay or which saved payment methods they have; shows the checkout with the saved methods.',
  args: toolArgs.list_payment_methods,
  output: CheckoutResult,
  annotations: readOnly,
  meta: appToolMeta('checkout', 'Fetching payment methods…', 'Payment methods ready'),
  run: async (a, call) => {
    // A guest asking for their own cards: the refusal carries the sign-in challenge (mcp/tools.ts), which hosts turn into account linking.
    if (a.sign_in && !call.account) throw new AppError('PAYMENT_METHOD_NOT_FOUND', 'You are not signed in, so none of your saved payment methods can be shown.');
    const named = namedCart(a);
    // Read-only: a caller without a cart sees the methods beside an empty cart, and no cart row is created.
    const cart = await call.deps.bus.call(cartApi.peek, { ...(named ? { cart_id: named } : {}), caller: call.caller });
    return checkoutOutcome(call, cart, call.account?.scopes.includes('shop.payment_methods') ? undefined : GUEST_NOTICE);
  },
});

/** A guest (or a token without shop.payment_methods) sees the methods offered to everyone only. */
const GUEST_NOTICE = 'Saved payment methods belong to a shop account: sign in (connect your shop account in this app) to use yours. Until then the test cards below work for anyone.';
