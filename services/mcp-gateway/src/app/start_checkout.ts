import { cartApi, CheckoutResult, toolArgs } from '@shop/contracts';
import { appToolMeta, cartIdFor, checkoutOutcome, defineTool, idempotentWrite, namedCart } from './shared.js';

export const startCheckout = defineTool({
  name: 'start_checkout',
  title: 'Start checkout',
  description: 'Use this when the shopper is ready to check out: shows what is still needed (address, shipping method, payment method, terms), the shipping options and saved payment methods.',
  args: toolArgs.start_checkout,
  output: CheckoutResult,
  annotations: idempotentWrite,
  meta: appToolMeta('checkout', 'Starting checkout…', 'Checkout started'),
  run: async (a, call) => checkoutOutcome(call, await call.deps.bus.call(cartApi.startCheckout, { cart_id: await cartIdFor(call, namedCart(a)), caller: call.caller })),
});
