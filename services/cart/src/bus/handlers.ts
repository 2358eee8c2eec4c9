import { cartApi, orderEvents, OrderConfirmedEvent } from '@shop/contracts';
import { consumeEvents, handle, processOnce, type ServiceRuntime } from '@shop/kit';
import type { Carts } from '../app/carts.js';
import type { CouponReservations } from '../app/coupon-reservations.js';

/** The cart's NATS API, one handler per contract; main.ts serves them. */
export function cartHandlers(carts: Carts, coupons: CouponReservations) {
  return [
    handle(cartApi.resolve, (req) => carts.resolve(req)),
    handle(cartApi.peek, (req) => carts.peek(req)),
    handle(cartApi.get, (req) => carts.get(req)),
    handle(cartApi.clear, (req) => carts.clear(req)),
    handle(cartApi.addLine, (req) => carts.addLine(req)),
    handle(cartApi.addToResolved, (req) => carts.addToResolved(req)),
    handle(cartApi.updateLine, (req) => carts.updateLine(req)),
    handle(cartApi.removeLine, (req) => carts.removeLine(req)),
    handle(cartApi.applyCoupon, (req) => carts.applyCoupon(req)),
    handle(cartApi.removeCoupon, (req) => carts.removeCoupon(req)),
    handle(cartApi.startCheckout, (req) => carts.startCheckout(req)),
    handle(cartApi.updateCheckout, (req) => carts.updateCheckout(req)),
    handle(cartApi.convert, (req) => carts.convert(req)),
    handle(cartApi.reserveCoupon, (req) => coupons.reserve(req)),
    handle(cartApi.releaseCoupon, (req) => coupons.release(req)),
  ];
}

const CONSUMER = 'cart_order_confirmed';
/** Only the fields the cart acts on, so a richer event never stops cart conversion. */
const OrderConfirmedFacts = OrderConfirmedEvent.pick({ order_id: true, cart_id: true });

/**
 * Converts the cart of a confirmed order if orders has not yet, once per event. Coupon uses are
 * not counted here: orders reserved them at placement (cart.coupons.reserve).
 */
export function consumeOrderEvents(runtime: ServiceRuntime, carts: Carts) {
  return consumeEvents({
    nc: runtime.nc,
    prefix: runtime.config.NATS_PREFIX,
    durable: 'cart',
    subjects: [orderEvents.confirmed],
    logger: runtime.logger,
    handler: async (event) => {
      const parsed = OrderConfirmedFacts.safeParse(event.data);
      if (!parsed.success) {
        // Redelivery cannot fix a malformed event; acknowledge it and say so.
        runtime.logger.error({ id: event.id, issues: parsed.error.issues.slice(0, 3) }, 'evt.order.confirmed without order_id/cart_id; skipped');
        return;
      }
      const processed = await processOnce(runtime.pool, CONSUMER, event.id, (tx) => carts.onOrderConfirmed(tx, parsed.data));
      if (processed) runtime.relay.kick();
    },
  });
}
