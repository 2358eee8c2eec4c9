import { z } from 'zod';
import { Cents } from './money.js';
import { CartId, FreeText, IdempotencyKey, IsoDate, noCardNumber, PageInfo, Uuid } from './common.js';
import { textLimits } from './rules/index.js';
import { Facets, ProductDetail, ProductSummary, SortBy } from './catalog.js';
import { CartLine, ShownCart, UpdateCheckoutRequest } from './cart.js';
import { Address, PaymentMethodId, ShippingMethod } from './checkout.js';
import { SavedPaymentMethod } from './payments.js';
import { Order, OrderSummary } from './orders.js';

/**
 * The structuredContent of every MCP tool result: what the widgets render and the model reads.
 * Agreed between the gateway and the widgets; money is integer cents plus a formatted string.
 */

/** Widget resources, one self-contained HTML file each (widgets/dist/<name>.html). */
export const WidgetName = z.enum(['product-list', 'product-detail', 'cart', 'checkout', 'order']);
export type WidgetName = z.infer<typeof WidgetName>;
/**
 * The widgets' template version, in every ui:// URI. Hosts cache templates by URI (ChatGPT for
 * about 30 minutes), so a widget build that needs other tool results or arguments gets a new
 * version; the earlier URIs keep resolving to the current HTML for hosts that cached them.
 */
export const WIDGET_VERSION = 3;
export function widgetUri(name: WidgetName, version: number = WIDGET_VERSION): string {
  // Version 1 was published before URIs carried a version.
  return version === 1 ? `ui://widget/${name}.html` : `ui://widget/${name}.v${version}.html`;
}
/** The URIs earlier versions of a widget were published under, oldest first. */
export function previousWidgetUris(name: WidgetName): string[] {
  return Array.from({ length: WIDGET_VERSION - 1 }, (_, i) => widgetUri(name, i + 1));
}

export const FormattedTotals = z.object({
  subtotal: z.string(),
  discount: z.string(),
  shipping: z.string(),
  tax: z.string(),
  total: z.string(),
});
export type FormattedTotals = z.infer<typeof FormattedTotals>;

export const ProductListItem = ProductSummary.extend({ price_formatted: z.string() });
export type ProductListItem = z.infer<typeof ProductListItem>;

export const SearchFilters = z.object({
  category: z.string().optional(),
  /** Cents, converted exactly from the dollars the shopper said. */
  min_price: Cents.optional(),
  max_price: Cents.optional(),
  brands: z.array(z.string()).optional(),
  sizes: z.array(z.string()).optional(),
  colors: z.array(z.string()).optional(),
  in_stock_only: z.boolean(),
  sort_by: SortBy,
});
export type SearchFilters = z.infer<typeof SearchFilters>;

export const ProductListResult = z.object({
  kind: z.literal('product_list'),
  query: z.string().nullable(),
  filters: SearchFilters,
  items: z.array(ProductListItem),
  page_info: PageInfo,
  facets: Facets,
});
export type ProductListResult = z.infer<typeof ProductListResult>;

export const ProductDetailResult = z.object({
  kind: z.literal('product_detail'),
  product: ProductDetail.extend({ price_formatted: z.string() }),
});
export type ProductDetailResult = z.infer<typeof ProductDetailResult>;

export const ReorderOutcome = z.object({
  added: z.array(z.object({ name: z.string(), quantity: z.number().int() })),
  not_added: z.array(z.object({ name: z.string(), requested: z.number().int(), reason: z.string() })),
});
export type ReorderOutcome = z.infer<typeof ReorderOutcome>;

/**
 * A cart or an order as a tool result shows it: without its owner. The owner is an account id, of
 * use to no host or model, and identity comes from the access token alone (issue 16); `signed_in`
 * says whether the cart is an account's.
 */
export const ToolCart = ShownCart.omit({ owner_subject: true });
export const ToolOrder = Order.omit({ owner_subject: true });

/** add_to_cart, view_cart, update_cart_item, remove_from_cart, apply_coupon, remove_coupon, reorder. */
export const CartResult = z.object({
  kind: z.literal('cart'),
  /** The server-issued cart id; pass it back as cart_id when the host has no conversation id. Null: no cart yet (nothing was added). */
  cart_id: CartId.nullable(),
  /** Deprecated: the same cart id under its former name, kept for one version for clients that read it. */
  session_id: CartId.nullable(),
  cart: ToolCart,
  /** The cart belongs to the signed-in account (a payment method can be saved for next time). */
  signed_in: z.boolean(),
  formatted: FormattedTotals,
  last_added_line_id: CartLine.shape.id.optional(),
  notice: z.string().optional(),
  reorder: ReorderOutcome.optional(),
});
export type CartResult = z.infer<typeof CartResult>;

export const CheckoutLinkInfo = z.object({
  url: z.string(),
  expires_at: z.string(),
  /** The pending order the link pays (confirmed once it is paid). */
  order_number: z.string().optional(),
});
export type CheckoutLinkInfo = z.infer<typeof CheckoutLinkInfo>;

/** The store's policies, each a readable page at `<PUBLIC_URL>/policies/<name>`. */
export const PolicyName = z.enum(['terms', 'privacy', 'returns', 'shipping']);
export type PolicyName = z.infer<typeof PolicyName>;

/** Absolute URLs of the policy pages, for widgets to link (terms at checkout, returns on an order). */
export const PolicyLinks = z.object({ terms: z.string(), privacy: z.string(), returns: z.string(), shipping: z.string() });
export type PolicyLinks = z.infer<typeof PolicyLinks>;

/** start_checkout, update_checkout, list_payment_methods, create_checkout_link. */
export const CheckoutResult = z.object({
  kind: z.literal('checkout'),
  /** The server-issued cart id; pass it back as cart_id when the host has no conversation id. Null: no cart yet (nothing was added). */
  cart_id: CartId.nullable(),
  /** Deprecated: the same cart id under its former name, kept for one version for clients that read it. */
  session_id: CartId.nullable(),
  cart: ToolCart,
  /** The cart belongs to the signed-in account (a payment method can be saved for next time). */
  signed_in: z.boolean(),
  formatted: FormattedTotals,
  payment_methods: z.array(SavedPaymentMethod),
  checkout_link: CheckoutLinkInfo.nullable(),
  policies: PolicyLinks.optional(),
});
export type CheckoutResult = z.infer<typeof CheckoutResult>;

/** An order's UUID or its number as shown to the shopper (ORD-2026-00042; any letter case): a tool argument. */
export const OrderIdArg = z
  .string()
  .trim()
  .max(60, 'must be at most 60 characters')
  .superRefine(noCardNumber)
  .refine((v) => Uuid.safeParse(v).success || /^ord-\d{4}-\d{5,}$/i.test(v), 'must be an order id or an order number like ORD-2026-00042')
  .describe('The order id or its number (ORD-2026-00042).');

/**
 * refund_order's arguments: the order (its id, or its number in any letter case) and why. A return
 * of a shipped order, or a delivered one within RETURN_WINDOW_DAYS; the result is an OrderResult.
 */
export const RefundOrderArgs = z
  .object({
    order_id: OrderIdArg,
    reason: FreeText(textLimits.reason, { multiline: true }).optional().describe('Why the shopper is returning it, in their words.'),
  })
  .strict();

/**
 * Tool argument schemas: the public contract of the MCP tools (snake_case names), shared by the
 * gateway (which parses every call with them) and the widgets (which type their calls from them).
 * Every field has limits, and objects are strict, so huge strings, negative numbers, wrong types
 * and unknown arguments are refused before any service is asked. Free text is FreeText: card data
 * is refused as CARD_DATA_REFUSED, control characters as INVALID_INPUT, naming the field.
 */
const MAX_DOLLARS = 1_000_000;
/** Dollars as the shopper says them (19.99); converted to cents exactly with dollarsToCents. */
const Dollars = z
  .number()
  .min(0, 'must not be negative')
  .max(MAX_DOLLARS, `must be at most ${MAX_DOLLARS}`)
  .refine((v) => /^-?\d+(\.\d{1,2})?$/.test(v.toString()), 'must have at most 2 decimals');

const Label = (max: number) => FreeText(max, { min: 1 });
const Labels = z.array(Label(textLimits.filterValue)).max(20, 'must list at most 20 values');
/**
 * The cart a call works on, for hosts that send no conversation id: `cart_id`, from an earlier
 * cart or checkout result. `session_id` is its former name, still accepted so existing clients
 * keep working; when both are given, cart_id wins.
 */
const cartRef = {
  cart_id: CartId.optional().describe('The cart id (cart_id) from an earlier cart or checkout result; only needed when the host sends no conversation id.'),
  session_id: CartId.optional().describe('Deprecated: the former name of cart_id, still accepted; cart_id wins when both are given.'),
};
const Quantity = z.number().int('must be a whole number');

export const toolArgs = {
  search_products: z
    .object({
      query: FreeText(textLimits.searchQuery).optional().describe('Free text, e.g. "running shoes".'),
      category: Label(textLimits.category).optional().describe('Category name or slug, e.g. "running" or "Shoes".'),
      min_price: Dollars.optional().describe('Lowest price in dollars, e.g. 20 or 19.99.'),
      max_price: Dollars.optional().describe('Highest price in dollars, e.g. 100.'),
      brands: Labels.optional(),
      sizes: Labels.optional(),
      colors: Labels.optional(),
      in_stock_only: z.boolean().optional().describe('Only products that can be bought now (default true).'),
      sort_by: SortBy.optional(),
      page: z.number().int().min(1).max(1000).optional(),
      per_page: z.number().int().min(1).max(50).optional(),
    })
    .strict()
    .refine((a) => a.min_price === undefined || a.max_price === undefined || a.min_price <= a.max_price, {
      message: 'must not be greater than max_price',
      path: ['min_price'],
    }),
  get_product_details: z.object({ product_id: Uuid.describe('The product id from a search result.') }).strict(),
  add_to_cart: z
    .object({
      product_id: Uuid,
      quantity: Quantity.min(1, 'must be at least 1').max(99, 'must be at most 99').optional(),
      size: Label(textLimits.variantOption).optional(),
      color: Label(textLimits.variantOption).optional(),
      ...cartRef,
    })
    .strict(),
  view_cart: z.object({ ...cartRef }).strict(),
  update_cart_item: z
    .object({
      item_id: Uuid.describe('The cart item id from the cart.'),
      quantity: Quantity.min(0, 'must not be negative').max(99, 'must be at most 99').describe('New quantity; 0 removes the item.'),
      ...cartRef,
    })
    .strict(),
  remove_from_cart: z.object({ item_id: Uuid.describe('The cart item id from the cart.'), ...cartRef }).strict(),
  apply_coupon: z.object({ code: Label(textLimits.couponCode).describe('The coupon code, e.g. WELCOME10.'), ...cartRef }).strict(),
  remove_coupon: z.object({ ...cartRef }).strict(),
  start_checkout: z.object({ ...cartRef }).strict(),
  update_checkout: z
    .object({
      ...cartRef,
      shipping_address: Address.optional(),
      shipping_method: ShippingMethod.optional(),
      billing_address: Address.optional(),
      billing_same_as_shipping: z.boolean().optional(),
      payment_method_id: PaymentMethodId.optional().describe('A saved payment method id from list_payment_methods (pm_…). Never card numbers.'),
      accept_terms: z.boolean().optional(),
      preferred_delivery_date: UpdateCheckoutRequest.shape.preferred_delivery_date.describe(
        'YYYY-MM-DD the shopper would like delivery on: not before the shipping method allows, a weekday for standard shipping, at most 30 days out. null clears it.',
      ),
      delivery_instructions: UpdateCheckoutRequest.shape.delivery_instructions.describe('Special delivery instructions (at most 500 characters). null clears them.'),
      save_payment_method: z
        .boolean()
        .optional()
        .describe('true when the shopper asks to save the payment method for next time; it is saved once the order is paid, and only for a signed-in shopper.'),
    })
    .strict(),
  list_payment_methods: z
    .object({
      ...cartRef,
      sign_in: z
        .boolean()
        .optional()
        .describe("True when the shopper asks to use their own saved cards: a guest is then answered with the host's sign-in prompt (the checkout widget's \"Sign in to use your saved cards\")."),
    })
    .strict(),
  create_checkout_link: z.object({ ...cartRef }).strict(),
  place_order: z
    .object({
      ...cartRef,
      payment_method_id: PaymentMethodId.optional(),
      idempotency_key: IdempotencyKey.optional().describe('Optional; by default a repeated call for an unchanged checkout returns the same order.'),
    })
    .strict(),
  // A client that sends no conversation id finds its orders by the cart id they were placed from.
  get_order_status: z.object({ order_id: OrderIdArg, ...cartRef }).strict(),
  list_orders: z.object({ page: z.number().int().min(1).max(1000).optional(), ...cartRef }).strict(),
  cancel_order: z.object({ order_id: OrderIdArg, reason: FreeText(textLimits.reason, { multiline: true }).optional(), ...cartRef }).strict(),
  refund_order: RefundOrderArgs.extend(cartRef),
  reorder: z.object({ order_id: OrderIdArg, ...cartRef }).strict(),
  get_store_policies: z
    .object({
      topic: Label(textLimits.policyTopic)
        .optional()
        .describe('terms, privacy, returns, refunds or shipping for a whole policy; or a few words of the question (e.g. "express delivery time") for the matching sections. Omit for every policy.'),
    })
    .strict(),
};

/** Each tool's arguments as a caller writes them (the widgets type their tool calls with it). */
export type ToolArgs = { [K in keyof typeof toolArgs]: z.input<(typeof toolArgs)[K]> };

/** place_order, get_order_status, cancel_order, refund_order. */
export const OrderResult = z.object({
  kind: z.literal('order'),
  order: ToolOrder,
  formatted: FormattedTotals,
  policies: PolicyLinks.optional(),
});
export type OrderResult = z.infer<typeof OrderResult>;

export const OrderListItem = OrderSummary.extend({ total_formatted: z.string() });
export type OrderListItem = z.infer<typeof OrderListItem>;

/** list_orders. */
export const OrderListResult = z.object({
  kind: z.literal('order_list'),
  items: z.array(OrderListItem),
  page_info: PageInfo,
});
export type OrderListResult = z.infer<typeof OrderListResult>;

export const PolicySection = z.object({ heading: z.string(), text: z.string() });
export type PolicySection = z.infer<typeof PolicySection>;

export const Policy = z.object({
  name: PolicyName,
  title: z.string(),
  /** The policy's version (its effective date); the terms' equals TERMS_VERSION. */
  version: z.string(),
  url: z.string(),
  sections: z.array(PolicySection),
});
export type Policy = z.infer<typeof Policy>;

/** get_store_policies: the store's own words, whole policies or only the sections matching the topic. */
export const PolicyResult = z.object({
  kind: z.literal('policy'),
  /** The topic asked about; null when every policy was asked for. */
  topic: z.string().nullable(),
  policies: z.array(Policy),
  /** Set when a free-text topic matched nothing, so every policy is returned. */
  notice: z.string().optional(),
});
export type PolicyResult = z.infer<typeof PolicyResult>;

export const ToolResult = z.discriminatedUnion('kind', [ProductListResult, ProductDetailResult, CartResult, CheckoutResult, OrderResult, OrderListResult, PolicyResult]);
export type ToolResult = z.infer<typeof ToolResult>;

/** Which widget renders each tool's result (the tool's `_meta.ui.resourceUri`). */
export const toolWidgets = {
  search_products: 'product-list',
  get_product_details: 'product-detail',
  add_to_cart: 'cart',
  view_cart: 'cart',
  update_cart_item: 'cart',
  remove_from_cart: 'cart',
  apply_coupon: 'cart',
  remove_coupon: 'cart',
  reorder: 'cart',
  start_checkout: 'checkout',
  update_checkout: 'checkout',
  list_payment_methods: 'checkout',
  create_checkout_link: 'checkout',
  place_order: 'order',
  get_order_status: 'order',
  cancel_order: 'order',
  refund_order: 'order',
  list_orders: 'order',
} as const satisfies Record<string, WidgetName>;

/** Tools whose result is read by the model alone: they declare no widget (no ui.resourceUri / outputTemplate). */
export const toolsWithoutWidget = ['get_store_policies'] as const;
export type ToolName = keyof typeof toolWidgets | (typeof toolsWithoutWidget)[number];
