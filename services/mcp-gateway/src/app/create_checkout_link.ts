import { AppError, CheckoutResult, ordersApi, toolArgs } from '@shop/contracts';
import { checkoutLinkKey } from '../domain/idempotency.js';
import { changedBeforePlacement, presentCheckout } from '../domain/present.js';
import { appToolMeta, defineTool, namedCart, resolveCart, savedMethods } from './shared.js';

export const createCheckoutLink = defineTool({
  name: 'create_checkout_link',
  title: 'Create checkout link',
  description: 'Use this when the shopper prefers to pay on a secure external checkout page: creates a payment link for the current cart total.',
  args: toolArgs.create_checkout_link,
  output: CheckoutResult,
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true, idempotentHint: true },
  meta: appToolMeta('checkout', 'Creating a checkout link…', 'Checkout link ready'),
  run: async (a, call) => {
    const cart = await resolveCart(call, namedCart(a), { fresh: true });
    if (cart.lines.length === 0) throw new AppError('CART_EMPTY', 'Your cart is empty: add something before checking out.');
    const changed = changedBeforePlacement(cart);
    if (changed) throw changed;
    // The link pays an order: orders places it (stock held, pending) and confirms it once the link is paid.
    const { order, checkout_link: link } = await call.deps.bus.call(
      ordersApi.placeExternal,
      { cart_id: cart.id, caller: call.caller, idempotency_key: checkoutLinkKey(cart.id, cart.version), expected_total: cart.totals.total },
      { timeoutMs: call.deps.placeOrderTimeoutMs },
    );
    const notice =
      link.status === 'open'
        ? `Order ${order.number} is reserved and will be confirmed once it is paid through the link (open until ${link.expires_at}).`
        : `Order ${order.number} is ${order.status.replace(/_/g, ' ')}.`;
    return {
      presented: presentCheckout(cart, await savedMethods(call), { url: link.url, expires_at: link.expires_at, order_number: order.number }, notice),
    };
  },
});
