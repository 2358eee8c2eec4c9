import { cartApi, CartResult, toolArgs } from '@shop/contracts';
import { appToolMeta, cartIdFor, cartOutcome, defineTool, idempotentWrite, namedCart } from './shared.js';

export const updateCartItem = defineTool({
  name: 'update_cart_item',
  title: 'Change quantity',
  description: 'Use this when the shopper wants to change the quantity of an item already in the cart (0 removes it). Needs the item_id from the cart.',
  args: toolArgs.update_cart_item,
  output: CartResult,
  annotations: idempotentWrite,
  meta: appToolMeta('cart', 'Updating your cart…', 'Cart updated'),
  run: async (a, call) =>
    cartOutcome(await call.deps.bus.call(cartApi.updateLine, { cart_id: await cartIdFor(call, namedCart(a)), caller: call.caller, line_id: a.item_id, quantity: a.quantity })),
});
