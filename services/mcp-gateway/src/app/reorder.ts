import { CartResult, ordersApi, toolArgs } from '@shop/contracts';
import { orderCaller } from '../domain/cart-conversation.js';
import { appToolMeta, cartIdFor, cartOutcome, defineTool, namedCart, normaliseOrderId, resolveCart, write, type ToolCall } from './shared.js';

export const reorder = defineTool({
  name: 'reorder',
  title: 'Reorder',
  description: 'Use this when the shopper wants to buy the items of a previous order again: adds them to the cart at current prices and reports anything unavailable.',
  args: toolArgs.reorder,
  output: CartResult,
  annotations: write,
  meta: appToolMeta('cart', 'Adding the order again…', 'Items added to cart'),
  run: async (a, call) => {
    const named = namedCart(a);
    const caller = orderCaller(call.caller, named);
    const result = await call.deps.bus.call(ordersApi.reorder, { order_id: normaliseOrderId(a.order_id), caller, cart_id: await reorderCart(call, named) });
    return cartOutcome(result.cart, { reorder: { added: result.added, not_added: result.not_added } });
  },
});

/**
 * The cart the items go to. A client without a conversation names the cart its order was placed
 * from (that is how its orders are found), and that cart is converted by now: the items then go
 * to a new cart, which is its own conversation as every cart created without one.
 */
async function reorderCart(call: ToolCall, named: string | undefined): Promise<string> {
  if (call.caller.conversation || !named) return cartIdFor(call, named);
  const cart = await resolveCart(call, named);
  return cart.status === 'active' ? cart.id : (await resolveCart(call, undefined)).id;
}
