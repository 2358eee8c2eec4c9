import { z } from 'zod';
import { Address, CartId, FreeText, IdempotencyKey, OrderIdArg, PaymentMethodId, ShippingMethod, SortBy, textLimits, UpdateCheckoutRequest, Uuid } from '@shop/contracts';

/**
 * Tool argument schemas: the public contract of the MCP tools (snake_case names). Every field has
 * limits, and objects are strict, so huge strings, negative numbers, wrong types and unknown
 * arguments are refused before any service is asked. Free text is the contracts' FreeText: card
 * data is refused as CARD_DATA_REFUSED, control characters as INVALID_INPUT, naming the field.
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
const SessionId = CartId.describe('The cart id (session_id) returned by an earlier cart or checkout result; only needed when the host sends no conversation id.');
const Quantity = z.number().int('must be a whole number');

export function normaliseOrderId(value: string): string {
  return /^ord-/i.test(value) ? value.toUpperCase() : value.toLowerCase();
}

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
      session_id: SessionId.optional(),
    })
    .strict(),
  view_cart: z.object({ session_id: SessionId.optional() }).strict(),
  update_cart_item: z
    .object({
      item_id: Uuid.describe('The cart item id from the cart.'),
      quantity: Quantity.min(0, 'must not be negative').max(99, 'must be at most 99').describe('New quantity; 0 removes the item.'),
      session_id: SessionId.optional(),
    })
    .strict(),
  remove_from_cart: z.object({ item_id: Uuid.describe('The cart item id from the cart.'), session_id: SessionId.optional() }).strict(),
  apply_coupon: z.object({ code: Label(textLimits.couponCode).describe('The coupon code, e.g. WELCOME10.'), session_id: SessionId.optional() }).strict(),
  remove_coupon: z.object({ session_id: SessionId.optional() }).strict(),
  start_checkout: z.object({ session_id: SessionId.optional() }).strict(),
  update_checkout: z
    .object({
      session_id: SessionId.optional(),
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
  list_payment_methods: z.object({ session_id: SessionId.optional() }).strict(),
  create_checkout_link: z.object({ session_id: SessionId.optional() }).strict(),
  place_order: z
    .object({
      session_id: SessionId.optional(),
      payment_method_id: PaymentMethodId.optional(),
      idempotency_key: IdempotencyKey.optional().describe('Optional; by default a repeated call for an unchanged checkout returns the same order.'),
    })
    .strict(),
  get_order_status: z.object({ order_id: OrderIdArg }).strict(),
  list_orders: z.object({ page: z.number().int().min(1).max(1000).optional() }).strict(),
  cancel_order: z.object({ order_id: OrderIdArg, reason: FreeText(textLimits.reason, { multiline: true }).optional() }).strict(),
  reorder: z.object({ order_id: OrderIdArg, session_id: SessionId.optional() }).strict(),
  get_store_policies: z
    .object({
      topic: Label(textLimits.policyTopic)
        .optional()
        .describe('terms, privacy, returns, refunds or shipping for a whole policy; or a few words of the question (e.g. "express delivery time") for the matching sections. Omit for every policy.'),
    })
    .strict(),
};
