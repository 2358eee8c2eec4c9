import { cartApi, CheckoutResult, toolArgs, type Cart } from '@shop/contracts';
import { appToolMeta, cartIdFor, checkoutOutcome, defineTool, idempotentWrite, namedCart } from './shared.js';

export const updateCheckout = defineTool({
  name: 'update_checkout',
  title: 'Update checkout details',
  description:
    'Use this when the shopper gives checkout details: shipping address, shipping method (standard or express), billing address or billing same as shipping, a saved payment method id, accepting the terms, or saving the payment method for next time.',
  args: toolArgs.update_checkout,
  output: CheckoutResult,
  annotations: idempotentWrite,
  meta: appToolMeta('checkout', 'Saving checkout details…', 'Checkout updated'),
  run: async (a, call) => {
    const { cart_id, session_id, ...details } = a;
    const cart = await call.deps.bus.call(cartApi.updateCheckout, { cart_id: await cartIdFor(call, namedCart({ cart_id, session_id })), caller: call.caller, ...details });
    return checkoutOutcome(call, cart, saveMethodNotice(a.save_payment_method, cart));
  },
});

/** What becomes of "save this payment method": saved methods belong to a signed-in shopper (the owner subject) only. */
function saveMethodNotice(asked: boolean | undefined, cart: Cart): string | undefined {
  if (asked === undefined) return undefined;
  if (!asked) return 'Your payment method will not be saved.';
  if (!cart.owner_subject) return 'Payment methods can only be saved for a signed-in shopper, so this one will not be saved for next time.';
  return 'Your payment method will be saved for next time once the order is paid.';
}
