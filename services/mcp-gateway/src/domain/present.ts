import {
  AppError,
  cartConversation,
  formatMoney,
  type Cart,
  type CartResult,
  type ShownCart,
  type CheckoutLinkInfo,
  type CheckoutResult,
  type FormattedTotals,
  type ListOrdersResult,
  type Order,
  type OrderListResult,
  type OrderResult,
  type PolicyLinks,
  type PolicyResult,
  type ProductDetail,
  type ProductDetailResult,
  type ProductListResult,
  type ReorderOutcome,
  type SavedPaymentMethod,
  type SearchFilters,
  type SearchResult,
} from '@shop/contracts';
import type { z } from 'zod';
import { policyView, type PolicyMatch } from './policies.js';

/**
 * Turns service replies into tool results: `structured` is the complete structuredContent the
 * widget renders; `text` is the short, factual summary the model reads.
 */
export interface Presented<T> {
  structured: T;
  text: string;
}

const money = formatMoney;
// The model needs the ids to act on a result, so a full default page is listed.
const MAX_LISTED = 20;

export function formattedTotals(t: { subtotal: number; discount: number; shipping: number; tax: number; total: number }, currency: Cart['currency']): FormattedTotals {
  return {
    subtotal: money(t.subtotal, currency),
    discount: money(t.discount, currency),
    shipping: money(t.shipping, currency),
    tax: money(t.tax, currency),
    total: money(t.total, currency),
  };
}

function priceText(p: { price: number; price_max: number; currency: Cart['currency'] }): string {
  return p.price_max > p.price ? `${money(p.price, p.currency)}–${money(p.price_max, p.currency)}` : money(p.price, p.currency);
}

export function presentSearch(result: SearchResult, filters: SearchFilters): Presented<ProductListResult> {
  const items = result.items.map((p) => ({ ...p, price_formatted: priceText(p) }));
  const { page, total_pages, total } = result.page_info;
  const what = result.query ? ` for "${result.query}"` : '';
  const head = total === 0 ? `No products found${what}.` : `Found ${total} product${total === 1 ? '' : 's'}${what} (page ${page} of ${total_pages}).`;
  const listed = items.slice(0, MAX_LISTED).map((p) => `${p.name} by ${p.brand}, ${p.price_formatted}${p.in_stock ? '' : ' (out of stock)'} [id ${p.id}]`);
  return {
    structured: { kind: 'product_list', query: result.query, filters, items, page_info: result.page_info, facets: result.facets },
    text: [
      head,
      ...listed,
      items.length > MAX_LISTED ? `…and ${items.length - MAX_LISTED} more shown in the list.` : '',
      result.page_info.has_more ? `More results: search_products with page ${page + 1}.` : '',
      total > 0 ? 'Next: get_product_details for sizes, colors and stock, or add_to_cart with a product id.' : 'Next: try other words or fewer filters.',
    ]
      .filter(Boolean)
      .join('\n'),
  };
}

export function presentProduct(product: ProductDetail): Presented<ProductDetailResult> {
  const detailed = { ...product, price_formatted: priceText(product) };
  const sizes = product.sizes.length ? ` Sizes: ${product.sizes.join(', ')}.` : '';
  const colors = product.colors.length ? ` Colors: ${product.colors.join(', ')}.` : '';
  const stock = product.in_stock ? `${product.available} available` : 'out of stock';
  const variants = product.variants.map((v) => {
    const name = [v.size && `size ${v.size}`, v.color].filter(Boolean).join(', ') || 'one option';
    return `${name}: ${money(v.price, product.currency)}, ${v.in_stock ? `${v.available} available` : 'out of stock'}`;
  });
  const options = [product.sizes.length ? 'a size' : '', product.colors.length ? 'a color' : ''].filter(Boolean).join(' and ');
  return {
    structured: { kind: 'product_detail', product: detailed },
    text: [
      `${product.name} by ${product.brand}: ${detailed.price_formatted}, ${stock}, rated ${product.rating}/5 (${product.review_count} reviews).${sizes}${colors} [id ${product.id}]`,
      ...(variants.length > 1 ? variants : []),
      product.in_stock ? `Next: add_to_cart with product_id ${product.id}${options ? ` and ${options}` : ''}.` : 'It cannot be bought now.',
    ].join('\n'),
  };
}

function cartSummary(cart: ShownCart): string {
  const t = cart.totals;
  if (cart.lines.length === 0) return 'The cart is empty.';
  const lines = cart.lines.map((l) => {
    const variant = [l.size && `size ${l.size}`, l.color].filter(Boolean).join(', ');
    return `${l.quantity} × ${l.name}${variant ? ` (${variant})` : ''} at ${money(l.unit_price, cart.currency)} [item ${l.id}]`;
  });
  const discount = t.discount > 0 ? `, discount −${money(t.discount, cart.currency)}${cart.coupon ? ` (${cart.coupon.code})` : ''}` : '';
  const shipping = `${t.shipping_is_estimate ? 'estimated ' : ''}${t.shipping_method} shipping ${money(t.shipping, cart.currency)}`;
  return [
    `Cart: ${t.item_count} item${t.item_count === 1 ? '' : 's'}.`,
    ...lines,
    `Subtotal ${money(t.subtotal, cart.currency)}${discount}, ${shipping}, tax ${money(t.tax, cart.currency)}, total ${money(t.total, cart.currency)}.`,
  ].join('\n');
}

/** For hosts that send no conversation id: the handle to pass back. */
function cartIdLine(cart: ShownCart): string {
  if (cart.id === null) return 'No cart yet: add_to_cart creates one.';
  return `Cart id ${cart.id} (pass it as cart_id when the host sends no conversation id).`;
}

function cartMessages(cart: ShownCart): string[] {
  return cart.messages.map((m) => m.message);
}

export interface CartExtras {
  lastAddedLineId?: string;
  notice?: string;
  reorder?: ReorderOutcome;
}

export function presentCart(cart: ShownCart, extras: CartExtras = {}): Presented<CartResult> {
  const structured: CartResult = { kind: 'cart', cart_id: cart.id, session_id: cart.id, cart, signed_in: cart.owner_subject !== null, formatted: formattedTotals(cart.totals, cart.currency) };
  if (extras.lastAddedLineId) structured.last_added_line_id = extras.lastAddedLineId;
  if (extras.notice) structured.notice = extras.notice;
  if (extras.reorder) structured.reorder = extras.reorder;
  const reorderText = extras.reorder ? reorderSummary(extras.reorder) : [];
  const next =
    cart.lines.length === 0
      ? 'Next: search_products to find something to add.'
      : 'Next: start_checkout when the shopper is ready; update_cart_item, remove_from_cart or apply_coupon change the cart.';
  return {
    structured,
    text: [extras.notice, ...reorderText, cartSummary(cart), ...cartMessages(cart), cartIdLine(cart), next].filter(Boolean).join('\n'),
  };
}

function reorderSummary(r: ReorderOutcome): string[] {
  const added = r.added.length ? `Added again: ${r.added.map((a) => `${a.quantity} × ${a.name}`).join(', ')}.` : 'Nothing could be added again.';
  const missed = r.not_added.map((n) => `Not added: ${n.name} (${n.reason}).`);
  return [added, ...missed];
}

export function presentCheckout(cart: ShownCart, methods: SavedPaymentMethod[], link: CheckoutLinkInfo | null, notice?: string): Presented<CheckoutResult> {
  const structured: CheckoutResult = {
    kind: 'checkout',
    cart_id: cart.id,
    session_id: cart.id,
    cart,
    signed_in: cart.owner_subject !== null,
    formatted: formattedTotals(cart.totals, cart.currency),
    payment_methods: methods,
    checkout_link: link,
  };
  const c = cart.checkout;
  const state = c.ready ? 'Checkout is ready: the order can be placed.' : `Checkout still needs: ${c.missing_steps.map((s) => s.replace(/_/g, ' ')).join(', ')}.`;
  const methodText = methods.length ? `Saved payment methods: ${methods.map((m) => `${m.label} (${m.id})${m.saved ? ' saved' : ''}${m.is_default ? ' default' : ''}`).join('; ')}.` : '';
  const linkText = link ? `Checkout link (expires ${link.expires_at}): ${link.url}` : '';
  const shippingText = `Shipping options: ${cart.shipping_options.map((o) => `${o.method}: ${o.label}, ${money(o.price, cart.currency)}, delivery ${o.estimate.earliest} to ${o.estimate.latest}`).join('; ')}.`;
  return {
    structured,
    text: [notice, state, cartSummary(cart), shippingText, methodText, linkText, ...cartMessages(cart), cartIdLine(cart), checkoutNext(cart, link)].filter(Boolean).join('\n'),
  };
}

/** What the assistant does next at checkout, in the tools' own terms. */
function checkoutNext(cart: ShownCart, link: CheckoutLinkInfo | null): string {
  if (link) return `Next: the shopper opens the link and pays there; get_order_status${link.order_number ? ` ${link.order_number}` : ''} shows when the order is confirmed.`;
  const c = cart.checkout;
  if (cart.lines.length === 0) return 'Next: add something to the cart first.';
  if (!c.ready) {
    const asks: Record<string, string> = {
      shipping_address: 'shipping_address',
      shipping_method: 'shipping_method (standard or express)',
      billing_address: 'billing_same_as_shipping true or a billing_address',
      payment_method: 'payment_method_id (one of the saved methods)',
      terms: 'accept_terms true once the shopper accepts the terms of service',
    };
    return `Next: update_checkout with ${c.missing_steps.map((s) => asks[s] ?? s).join(', ')}; or create_checkout_link to pay on a secure page instead.`;
  }
  return `Next: confirm the total of ${money(cart.totals.total, cart.currency)} with the shopper, then place_order.`;
}

export function presentOrder(order: Order, lead?: string): Presented<OrderResult> {
  const pay = order.payment.brand && order.payment.last4 ? `, paid with ${order.payment.brand} ending ${order.payment.last4}` : '';
  const delivery = ['pending', 'confirmed', 'shipped'].includes(order.status) ? ` Estimated delivery ${order.estimated_delivery.earliest} to ${order.estimated_delivery.latest}.` : '';
  const tracking = order.tracking ? ` Tracking: ${order.tracking.carrier} ${order.tracking.number}.` : '';
  const reason = order.reason ? ` Reason: ${order.reason}.` : '';
  const lines = order.lines.map((l) => {
    const variant = [l.size && `size ${l.size}`, l.color].filter(Boolean).join(', ');
    return `${l.quantity} × ${l.name}${variant ? ` (${variant})` : ''} at ${money(l.unit_price, order.currency)}`;
  });
  const discount = order.discount > 0 ? `, discount −${money(order.discount, order.currency)}${order.coupon ? ` (${order.coupon.code})` : ''}` : '';
  const a = order.shipping_address;
  return {
    structured: { kind: 'order', order, formatted: formattedTotals(order, order.currency) },
    text: [
      `${lead ? `${lead} ` : ''}Order ${order.number} is ${order.status.replace(/_/g, ' ')}: ${order.item_count} item${order.item_count === 1 ? '' : 's'}, total ${money(order.total, order.currency)}${pay}.${delivery}${tracking}${reason}`,
      ...lines,
      `Subtotal ${money(order.subtotal, order.currency)}${discount}, ${order.shipping_method} shipping ${money(order.shipping, order.currency)}, tax ${money(order.tax, order.currency)}, total ${money(order.total, order.currency)}.`,
      `Ships to ${a.name}, ${a.line1}${a.line2 ? `, ${a.line2}` : ''}, ${a.city}, ${a.state} ${a.postal_code}.`,
      orderNext(order),
      orderHandleLine(order),
    ]
      .filter(Boolean)
      .join('\n'),
  };
}

/** An order placed from a cart that is its own conversation (no host conversation id) is found by that cart's id. */
function orderHandleLine(order: Order): string {
  if (order.conversation !== cartConversation(order.cart_id)) return '';
  return `With no conversation id from the host, pass cart_id ${order.cart_id} to get_order_status, list_orders, cancel_order, refund_order and reorder.`;
}

function orderNext(order: Order): string {
  switch (order.status) {
    case 'pending':
    case 'confirmed':
      return `Next: get_order_status ${order.number} for updates; cancel_order ${order.number} cancels it until it ships.`;
    case 'shipped':
    case 'delivered':
      return `Next: get_order_status ${order.number} for tracking; refund_order ${order.number} returns it within the returns window.`;
    default:
      return `Next: reorder ${order.number} buys the same items again.`;
  }
}

/**
 * A placed order whose payment failed is not a success for the shopper: it becomes a tool error
 * carrying the provider's reason, and the cart stays as it was so they can try another card.
 */
export function failedPlacement(order: Order): AppError | null {
  const details = { order_id: order.id, order_number: order.number, status: order.status };
  const reason = (fallback: string) => (order.reason ?? fallback).replace(/\.$/, '');
  if (order.status === 'payment_failed') {
    return new AppError('PAYMENT_DECLINED', `${reason('The payment did not go through')}. Your cart is unchanged: choose another payment method and try again.`, details);
  }
  if (order.status === 'cancelled') {
    return new AppError('CHECKOUT_INCOMPLETE', `${reason('The order could not be completed')}. Your cart is unchanged.`, details);
  }
  return null;
}

/**
 * Placing an order must charge only what the shopper has seen. When reading the cart just before
 * placement reports a change (a price, a lowered quantity, a dropped coupon, an item gone), the
 * order is not placed: the shopper gets the changes and the new total and confirms again.
 */
export function changedBeforePlacement(cart: Cart): AppError | null {
  if (cart.messages.length === 0) return null;
  const stock = cart.messages.some((m) => m.type === 'out_of_stock' || m.type === 'quantity_reduced' || m.type === 'unavailable');
  const changes = cart.messages.map((m) => m.message).join(' ');
  return new AppError(stock ? 'OUT_OF_STOCK' : 'CHECKOUT_INCOMPLETE', `${changes} Nothing was charged. The cart total is now ${money(cart.totals.total, cart.currency)}: please review it and confirm the order again.`, {
    messages: cart.messages,
    total: cart.totals.total,
  });
}

/**
 * Checkout and order results link the store's policies (terms at checkout, returns on an order),
 * in structuredContent for the widget and in the text for a host without one; others are left as they are.
 */
export function withPolicyLinks<T>(presented: Presented<T>, links: PolicyLinks): Presented<T> {
  const kind = (presented.structured as { kind?: unknown }).kind;
  if (kind === 'checkout') return { structured: { ...presented.structured, policies: links }, text: `${presented.text}\nTerms of service: ${links.terms}` };
  if (kind === 'order') return { structured: { ...presented.structured, policies: links }, text: `${presented.text}\nReturns and refunds: ${links.returns}` };
  return presented;
}

export function presentOrderList(result: z.infer<typeof ListOrdersResult>): Presented<OrderListResult> {
  const items = result.items.map((o) => ({ ...o, total_formatted: money(o.total, o.currency) }));
  const head = result.page_info.total === 0 ? 'No orders yet.' : `${result.page_info.total} order${result.page_info.total === 1 ? '' : 's'} (page ${result.page_info.page} of ${result.page_info.total_pages}).`;
  const listed = items.map((o) => `${o.number}: ${o.status.replace(/_/g, ' ')}, ${o.total_formatted}, ${o.item_count} item${o.item_count === 1 ? '' : 's'} (${o.first_item_name}), placed ${o.created_at.slice(0, 10)}`);
  return { structured: { kind: 'order_list', items, page_info: result.page_info }, text: [head, ...listed].join('\n') };
}

/** The policies in the store's own words; the model quotes or sums them up and can share each page's link. */
export function presentPolicies(match: PolicyMatch, topic: string | undefined, publicUrl: string): Presented<PolicyResult> {
  const policies = match.policies.map((m) => policyView(publicUrl, m.policy, m.sections));
  const structured: PolicyResult = { kind: 'policy', topic: topic ?? null, policies };
  if (!match.matched) structured.notice = `Nothing in the store policies matched "${topic}", so every policy is given in full.`;
  const body = policies.map((p) => [`${p.title} (version ${p.version}, ${p.url}):`, ...p.sections.map((s) => `${s.heading}: ${s.text}`)].join('\n'));
  return { structured, text: [structured.notice, ...body].filter(Boolean).join('\n\n') };
}
