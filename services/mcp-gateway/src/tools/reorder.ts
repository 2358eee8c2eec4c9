import { CartResult, ordersApi, toolArgs } from '@shop/contracts';
import { appToolMeta, cartIdFor, cartOutcome, defineTool, namedCart, normaliseOrderId, write } from './shared.js';

export const reorder = defineTool({
  name: 'reorder',
  title: 'Reorder',
  description: 'Use this when the shopper wants to buy the items of a previous order again: adds them to the cart at current prices and reports anything unavailable.',
  args: toolArgs.reorder,
  output: CartResult,
  annotations: write,
  meta: appToolMeta('cart', 'Adding the order again…', 'Items added to cart'),
  run: async (a, call) => {
    const cartId = await cartIdFor(call, namedCart(a));
    const result = await call.deps.bus.call(ordersApi.reorder, { order_id: normaliseOrderId(a.order_id), caller: call.caller, cart_id: cartId });
    return cartOutcome(result.cart, { reorder: { added: result.added, not_added: result.not_added } });
  },
});
