import { ordersApi, OrderResult, toolArgs } from '@shop/contracts';
import { presentOrder } from '../domain/present.js';
import { orderCaller } from '../domain/cart-conversation.js';
import { appToolMeta, defineTool, destructive, namedCart, normaliseOrderId } from './shared.js';

export const cancelOrder = defineTool({
  name: 'cancel_order',
  title: 'Cancel order',
  description: 'Use this when the shopper explicitly asks to cancel an order that has not shipped yet; the payment is refunded. This cannot be undone.',
  args: toolArgs.cancel_order,
  output: OrderResult,
  annotations: destructive,
  meta: appToolMeta('order', 'Cancelling the order…', 'Order cancelled'),
  run: async (a, call) => {
    const order = await call.deps.bus.call(ordersApi.cancel, { order_id: normaliseOrderId(a.order_id), caller: orderCaller(call.caller, namedCart(a)), reason: a.reason || undefined }, { timeoutMs: call.deps.placeOrderTimeoutMs });
    return { presented: presentOrder(order, 'Cancelled.') };
  },
});
