import { cartApi, CartResult, toolArgs, type Cart } from '@shop/contracts';
import { cartResolution } from '../domain/identity.js';
import { appToolMeta, cartOutcome, defineTool, namedCart, write } from './shared.js';

export const addToCart = defineTool({
  name: 'add_to_cart',
  title: 'Add to cart',
  description: 'Use this when the shopper wants to add a product to their cart, with a size and/or color when the product has them, and a quantity (default 1).',
  args: toolArgs.add_to_cart,
  output: CartResult,
  annotations: write,
  meta: appToolMeta('cart', 'Adding to your cart…', 'Added to cart'),
  run: async (a, call) => {
    // One request: the cart service resolves the caller's cart (as resolveCart would) and adds to it.
    const { cart_id, caller } = cartResolution(call.caller, namedCart(a));
    const cart = await call.deps.bus.call(cartApi.addToResolved, { cart_id, caller, product_id: a.product_id, quantity: a.quantity ?? 1, size: a.size, color: a.color });
    const line = addedLine(cart, a);
    return cartOutcome(cart, { lastAddedLineId: line?.id, notice: line ? `Added ${a.quantity ?? 1} × ${line.name}${variantText(line)}.` : undefined });
  },
});

function variantText(line: { size: string | null; color: string | null }): string {
  const parts = [line.size && `size ${line.size}`, line.color].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The line an add_to_cart call landed on: same product, and the size/colour asked for when given. */
function addedLine(cart: Cart, a: { product_id: string; size?: string; color?: string }) {
  const same = (x: string | null, y: string | undefined) => y === undefined || (x ?? '').toLowerCase() === y.toLowerCase();
  return cart.lines.filter((l) => l.product_id === a.product_id && same(l.size, a.size) && same(l.color, a.color)).at(-1);
}
