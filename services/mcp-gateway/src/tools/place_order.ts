import { ordersApi, OrderResult, toolArgs, type Caller, type Cart, type Order } from '@shop/contracts';
import { placeOrderKey } from '../domain/idempotency.js';
import { changedBeforePlacement, failedPlacement, presentOrder } from '../domain/present.js';
import { appToolMeta, defineTool, destructive, namedCart, resolveCart, type ToolCall } from './shared.js';

/** How long after an order a repeated place_order on an untouched cart counts as the same request. */
const REPEAT_WINDOW_MS = 10 * 60_000;
const ALREADY_PLACED = 'This order was already placed; nothing was charged again.';

export const placeOrder = defineTool({
  name: 'place_order',
  title: 'Place order',
  description:
    'Use this when the shopper explicitly confirms they want to buy: places the order for the cart and charges the chosen saved payment method. This charges real money and is irreversible; confirm the total with the shopper first.',
  args: toolArgs.place_order,
  output: OrderResult,
  annotations: destructive,
  meta: appToolMeta('order', 'Placing your order…', 'Order placed'),
  run: async (a, call) => {
    const named = namedCart(a);
    const cart = await resolveCart(call, named);
    if (cart.status === 'converted') {
      // Converting the cart bumps its version, so a repeated "place it" would derive a new key:
      // answer with the order the cart became instead of asking orders to place it again.
      const existing = await orderOfCart(call, cart.id);
      if (existing) return { presented: presentOrder(existing, ALREADY_PLACED) };
    }
    if (!named && cart.version === 0 && cart.lines.length === 0) {
      // The conversation's cart is brand new and untouched: if this conversation's order was
      // placed just before it, this call repeats that "place it" and gets that order back.
      const previous = await orderJustBefore(call, cart);
      if (previous) return { presented: presentOrder(previous, ALREADY_PLACED) };
    }
    const changed = changedBeforePlacement(cart);
    if (changed) throw changed;
    const order = await call.deps.bus.call(
      ordersApi.place,
      {
        cart_id: cart.id,
        caller: call.caller,
        idempotency_key: a.idempotency_key ?? placeOrderKey(cart.id, cart.version),
        payment_method_id: a.payment_method_id,
        // Orders re-validates the cart; a total other than this one (what the shopper saw) is refused with CART_CHANGED.
        expected_total: cart.totals.total,
      },
      { timeoutMs: call.deps.placeOrderTimeoutMs },
    );
    const failure = failedPlacement(order);
    if (failure) throw failure;
    return { presented: presentOrder(order, 'Order placed.') };
  },
});

/** The caller's order placed from this cart; newest orders first, so a recent placement is found at once. */
async function orderOfCart(call: ToolCall, cartId: string): Promise<Order | null> {
  const { bus } = call.deps;
  const recent = await bus.call(ordersApi.list, { caller: call.caller, page: 1, per_page: 10 });
  for (const summary of recent.items) {
    if (summary.status === 'payment_failed') continue;
    const order = await bus.call(ordersApi.get, { order_id: summary.id, caller: call.caller });
    if (order.cart_id === cartId) return order;
  }
  return null;
}

/** The conversation's latest order, when it was placed within the repeat window and before this cart existed. */
async function orderJustBefore(call: ToolCall, cart: Cart): Promise<Order | null> {
  const caller: Caller = call.caller;
  if (!caller.conversation) return null;
  const { bus } = call.deps;
  const [latest] = (await bus.call(ordersApi.list, { caller, page: 1, per_page: 1 })).items;
  if (!latest || latest.status === 'payment_failed') return null;
  const placedAt = Date.parse(latest.created_at);
  if (call.now().getTime() - placedAt > REPEAT_WINDOW_MS || placedAt > Date.parse(cart.created_at)) return null;
  const order = await bus.call(ordersApi.get, { order_id: latest.id, caller });
  return order.conversation === caller.conversation ? order : null;
}
