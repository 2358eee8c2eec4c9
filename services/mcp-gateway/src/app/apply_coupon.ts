import { cartApi, CartResult, toolArgs } from '@shop/contracts';
import { appToolMeta, cartIdFor, cartOutcome, defineTool, idempotentWrite, namedCart } from './shared.js';

export const applyCoupon = defineTool({
  name: 'apply_coupon',
  title: 'Apply coupon',
  description: 'Use this when the shopper gives a coupon or promo code to apply to the cart.',
  args: toolArgs.apply_coupon,
  output: CartResult,
  annotations: idempotentWrite,
  meta: appToolMeta('cart', 'Applying the coupon…', 'Coupon applied'),
  run: async (a, call) => {
    const cart = await call.deps.bus.call(cartApi.applyCoupon, { cart_id: await cartIdFor(call, namedCart(a)), caller: call.caller, code: a.code });
    return cartOutcome(cart, { notice: cart.coupon ? `Coupon ${cart.coupon.code} applied: ${cart.coupon.description}.` : undefined });
  },
});
