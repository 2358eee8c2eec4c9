import { cartApi, CartResult, toolArgs } from '@shop/contracts';
import { appToolMeta, cartOutcome, defineTool, namedCart, readOnly } from './shared.js';

export const viewCart = defineTool({
  name: 'view_cart',
  title: 'View cart',
  description: 'Use this when the shopper wants to see their cart: items, quantities, coupon and totals (subtotal, discount, shipping, tax, total).',
  args: toolArgs.view_cart,
  output: CartResult,
  annotations: readOnly,
  meta: appToolMeta('cart', 'Opening your cart…', 'Cart ready'),
  // Read-only: a caller without a cart sees the empty cart, and no cart row is created for them.
  run: async (a, call) => {
    const named = namedCart(a);
    return cartOutcome(await call.deps.bus.call(cartApi.peek, { ...(named ? { cart_id: named } : {}), caller: call.caller }));
  },
});
