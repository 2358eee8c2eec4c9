import { CartResult, toolArgs } from '@shop/contracts';
import { appToolMeta, cartOutcome, defineTool, namedCart, readOnly, resolveCart } from './shared.js';

export const viewCart = defineTool({
  name: 'view_cart',
  title: 'View cart',
  description: 'Use this when the shopper wants to see their cart: items, quantities, coupon and totals (subtotal, discount, shipping, tax, total).',
  args: toolArgs.view_cart,
  output: CartResult,
  annotations: readOnly,
  meta: appToolMeta('cart', 'Opening your cart…', 'Cart ready'),
  run: async (a, call) => cartOutcome(await resolveCart(call, namedCart(a))),
});
