// Tool calls the widgets make, with the argument names the gateway's tools take.
import type { WidgetData } from './data';
import type { AnyResult, Address, CartLine, CartResult, CheckoutResult, SearchFilters, ShippingMethod, ToolArgs } from './types';
import { centsToDollarArg } from './format';

export interface SearchArgs {
  query: string | null;
  filters: SearchFilters;
  page: number;
  per_page: number;
}

/** search_products takes dollar amounts; the result reports cents. */
export function searchArgs({ query, filters, page, per_page }: SearchArgs): ToolArgs['search_products'] {
  const args: ToolArgs['search_products'] = { in_stock_only: filters.in_stock_only, sort_by: filters.sort_by, page, per_page };
  if (query) args.query = query;
  if (filters.category) args.category = filters.category;
  if (filters.min_price !== undefined) args.min_price = centsToDollarArg(filters.min_price);
  if (filters.max_price !== undefined) args.max_price = centsToDollarArg(filters.max_price);
  if (filters.brands?.length) args.brands = filters.brands;
  if (filters.sizes?.length) args.sizes = filters.sizes;
  if (filters.colors?.length) args.colors = filters.colors;
  return args;
}

export type CartLike = CartResult | CheckoutResult;

/** The cart a call names: the shown cart's id, or none when there is no cart yet (the gateway then finds or creates it). */
function cartArg(data: CartLike): { cart_id?: string } {
  return data.cart_id ? { cart_id: data.cart_id } : {};
}

/** Recomputes line subtotals after an optimistic quantity change; totals wait for the server. */
function withLines<T extends CartLike>(data: T, lines: CartLine[]): T {
  const item_count = lines.reduce((n, l) => n + l.quantity, 0);
  return { ...data, cart: { ...data.cart, lines, totals: { ...data.cart.totals, item_count } } };
}

export const cartTools = (w: WidgetData) => ({
  setQuantity: (data: CartResult, line: CartLine, quantity: number) =>
    w.call<CartResult>(
      'update_cart_item',
      { ...cartArg(data), item_id: line.id, quantity },
      {
        label: 'Updating quantity…',
        optimistic: (d) => withLines(d, d.cart.lines.map((l) => (l.id === line.id ? { ...l, quantity, line_subtotal: l.unit_price * quantity } : l))),
      },
    ),
  remove: (data: CartResult, line: CartLine) =>
    w.call<CartResult>(
      'remove_from_cart',
      { ...cartArg(data), item_id: line.id },
      { label: 'Removing…', optimistic: (d) => withLines(d, d.cart.lines.filter((l) => l.id !== line.id)) },
    ),
  applyCoupon: (data: CartResult, code: string) => w.call('apply_coupon', { ...cartArg(data), code }, { label: 'Applying coupon…' }),
  removeCoupon: (data: CartResult) =>
    w.call<CartResult>('remove_coupon', cartArg(data), { label: 'Removing coupon…', optimistic: (d) => ({ ...d, cart: { ...d.cart, coupon: null } }) }),
  startCheckout: (data: CartResult) => w.call('start_checkout', cartArg(data), { label: 'Starting checkout…' }),
});

/** update_checkout's arguments besides the cart. */
export interface CheckoutPatch {
  shipping_address?: Address;
  shipping_method?: ShippingMethod;
  billing_same_as_shipping?: boolean;
  payment_method_id?: string;
  accept_terms?: boolean;
  /** YYYY-MM-DD; null clears it. */
  preferred_delivery_date?: string | null;
  /** null clears them. */
  delivery_instructions?: string | null;
  save_payment_method?: boolean;
}

export const checkoutTools = (w: WidgetData) => ({
  update: (
    data: CheckoutResult,
    patch: CheckoutPatch,
    optimistic?: (d: CheckoutResult) => CheckoutResult,
  ) => w.call<CheckoutResult>('update_checkout', { ...cartArg(data), ...patch }, { label: 'Saving…', optimistic }),
  /** A guest's "use my saved cards": the answer carries the sign-in challenge, which the host turns into account linking. */
  signIn: (data: CheckoutResult) => w.call<CheckoutResult>('list_payment_methods', { ...cartArg(data), sign_in: true }, { label: 'Signing in…' }),
  checkoutLink: (data: CheckoutResult) => w.call('create_checkout_link', cartArg(data), { label: 'Creating checkout link…' }),
  placeOrder: (data: CheckoutResult, paymentMethodId: string | null, idempotencyKey: string) =>
    w.call<AnyResult>(
      'place_order',
      { ...cartArg(data), idempotency_key: idempotencyKey, ...(paymentMethodId ? { payment_method_id: paymentMethodId } : {}) },
      { label: 'Placing order…' },
    ),
});
