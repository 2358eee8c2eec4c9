import { ordersApi, OrderResult, toolArgs } from '@shop/contracts';
import { presentOrder } from '../domain/present.js';
import { orderCaller } from '../domain/cart-conversation.js';
import { appToolMeta, defineTool, namedCart, normaliseOrderId, readOnly } from './shared.js';

export const getOrderStatus = defineTool({
  name: 'get_order_status',
  title: 'Order status',
  description: 'Use this when the shopper asks about an order: status, items, totals, delivery estimate and tracking. Accepts the order id or its number (ORD-…).',
  args: toolArgs.get_order_status,
  output: OrderResult,
  annotations: readOnly,
  meta: appToolMeta('order', 'Checking the order…', 'Order status ready'),
  run: async (a, call) => ({ presented: presentOrder(await call.deps.bus.call(ordersApi.get, { order_id: normaliseOrderId(a.order_id), caller: orderCaller(call.caller, namedCart(a)) })) }),
});
