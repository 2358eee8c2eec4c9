import { ordersApi, OrderResult, toolArgs } from '@shop/contracts';
import { placeOrderKey } from '../domain/idempotency.js';
import { changedBeforePlacement, failedPlacement, presentOrder } from '../domain/present.js';
import { orderCaller } from '../domain/cart-conversation.js';
import { appToolMeta, assertMayPayWith, defineTool, destructive, namedCart, resolveCart } from './shared.js';

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
    const cart = await resolveCart(call, named, { fresh: true });
    const caller = orderCaller(call.caller, cart.id);
    // Converting the cart bumps its version, so a repeated "place it" would derive a new key:
    // answer with the order the cart became instead of asking orders to place it again. The
    // untouched new cart of the conversation (or of the account) may follow an order placed just
    // before it: orders knows whether this call repeats that one.
    const known = call.caller.conversation !== undefined || call.caller.subject !== undefined;
    const fresh = !named && known && cart.version === 0 && cart.lines.length === 0;
    if (cart.status === 'converted' || fresh) {
      // A fresh cart's own conversation would find nothing: the caller is asked about as it came.
      const asked = fresh ? { cart_id: cart.id, caller: call.caller, fresh_cart_created_at: cart.created_at } : { cart_id: cart.id, caller };
      const { order: existing } = await call.deps.bus.call(ordersApi.placed, asked);
      if (existing) return { presented: presentOrder(existing, ALREADY_PLACED) };
    }
    const changed = changedBeforePlacement(cart);
    // A placement of this cart under way holds its stock, so the cart reads its own items as short:
    // asked again meanwhile (a retry after a lost answer), that placement answers, not the cart.
    if (changed && !(await call.deps.bus.call(ordersApi.placed, { cart_id: cart.id, caller })).order) throw changed;
    await assertMayPayWith(call, a.payment_method_id ?? cart.checkout.payment_method_id);
    const order = await call.deps.bus.call(
      ordersApi.place,
      {
        cart_id: cart.id,
        caller,
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

