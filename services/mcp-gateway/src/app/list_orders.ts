import { ordersApi, OrderListResult, toolArgs } from '@shop/contracts';
import { presentOrderList } from '../domain/present.js';
import { orderCaller } from '../domain/cart-conversation.js';
import { appToolMeta, defineTool, namedCart, readOnly } from './shared.js';

export const listOrders = defineTool({
  name: 'list_orders',
  title: 'List orders',
  description: 'Use this when the shopper asks about their past or recent orders.',
  args: toolArgs.list_orders,
  output: OrderListResult,
  annotations: readOnly,
  meta: appToolMeta('order', 'Fetching your orders…', 'Orders ready'),
  run: async (a, call) => ({ presented: presentOrderList(await call.deps.bus.call(ordersApi.list, { caller: orderCaller(call.caller, namedCart(a)), page: a.page ?? 1, per_page: 10 })) }),
});
