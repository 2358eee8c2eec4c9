import { ordersApi, OrderResult, RETURN_WINDOW_DAYS, toolArgs } from '@shop/contracts';
import { presentOrder } from '../domain/present.js';
import { orderCaller } from '../domain/cart-conversation.js';
import { appToolMeta, defineTool, destructive, namedCart, normaliseOrderId } from './shared.js';

export const refundOrder = defineTool({
  name: 'refund_order',
  title: 'Refund order',
  description: `Use this when the shopper explicitly asks to return an order that has already shipped or been delivered and get their money back, within the returns window of the store policy (${RETURN_WINDOW_DAYS} days after delivery); the full amount paid is refunded to the original payment method and the order becomes refunded. For an order that has not shipped, use cancel_order instead. This cannot be undone.`,
  args: toolArgs.refund_order,
  output: OrderResult,
  annotations: destructive,
  meta: appToolMeta('order', 'Refunding the order…', 'Order refunded'),
  run: async (a, call) => {
    const order = await call.deps.bus.call(ordersApi.refund, { order_id: normaliseOrderId(a.order_id), caller: orderCaller(call.caller, namedCart(a)), reason: a.reason || undefined }, { timeoutMs: call.deps.placeOrderTimeoutMs });
    return { presented: presentOrder(order, 'Refunded.') };
  },
});
