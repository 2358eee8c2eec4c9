import { cartApi, CartResult, toolArgs } from '@shop/contracts';
import { appToolMeta, cartIdFor, cartOutcome, defineTool, idempotentWrite, namedCart } from './shared.js';

export const removeCoupon = defineTool({
  name: 'remove_coupon',
  title: 'Remove coupon',
  description: 'Use this when the shopper wants to remove the coupon from the cart.',
  args: toolArgs.remove_coupon,
  output: CartResult,
  annotations: idempotentWrite,
  meta: appToolMeta('cart', 'Removing the coupon…', 'Coupon removed'),
  run: async (a, call) =>
    cartOutcome(await call.deps.bus.call(cartApi.removeCoupon, { cart_id: await cartIdFor(call, namedCart(a)), caller: call.caller }), { notice: 'Coupon removed.' }),
});
