import { cartApi, CartResult, toolArgs } from '@shop/contracts';
import { appToolMeta, cartIdFor, cartOutcome, defineTool, idempotentWrite, namedCart } from './shared.js';

export const removeFromCart = defineTool({
  name: 'remove_from_cart',
  title: 'Remove from cart',
  description: 'Use this when the shopper wants to take an item out of the cart. Needs the item_id from the cart.',
  args: toolArgs.remove_from_cart,
  output: CartResult,
  annotations: idempotentWrite,
  meta: appToolMeta('cart', 'Removing the item…', 'Item removed'),
  run: async (a, call) => cartOutcome(await call.deps.bus.call(cartApi.removeLine, { cart_id: await cartIdFor(call, namedCart(a)), caller: call.caller, line_id: a.item_id })),
});
