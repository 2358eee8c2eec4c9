import { z } from 'zod';
import { Cents, Currency } from './money.js';
import { CartId, Caller, endpoint, FreeText, textChecks, IsoDate, IsoDateTime, Uuid } from './common.js';
import { Address, CheckoutStep, PaymentMethodId, ShippingMethod } from './checkout.js';
import { textLimits } from './rules/index.js';
import { LineItem } from './line-item.js';

/** merged: an anonymous cart whose lines went into the account's cart when its shopper signed in. */
export const CartStatus = z.enum(['active', 'converted', 'abandoned', 'merged']);
export type CartStatus = z.infer<typeof CartStatus>;

export const CartLine = z.object({
  id: Uuid,
  ...LineItem.shape,
  unit_price: Cents,
  quantity: z.number().int().min(1).max(99),
  line_subtotal: Cents,
  /** Units the catalog can still supply for this line right now. */
  available: z.number().int().min(0),
});
export type CartLine = z.infer<typeof CartLine>;

export const CouponType = z.enum(['percentage', 'fixed', 'free_shipping']);
export const AppliedCoupon = z.object({
  code: z.string(),
  type: CouponType,
  /** Percentage (whole percent) or fixed amount in cents; 0 for free shipping. */
  value: z.number().int().min(0),
  description: z.string(),
});
export type AppliedCoupon = z.infer<typeof AppliedCoupon>;

export const Totals = z.object({
  subtotal: Cents,
  discount: Cents,
  shipping: Cents,
  shipping_method: ShippingMethod,
  /** True until the shopper has chosen a shipping method (standard is assumed). */
  shipping_is_estimate: z.boolean(),
  tax: Cents,
  total: Cents,
  item_count: z.number().int().min(0),
  currency: Currency,
});
export type Totals = z.infer<typeof Totals>;

export const CartMessageType = z.enum(['price_changed', 'out_of_stock', 'quantity_reduced', 'unavailable', 'coupon_removed']);
export const CartMessage = z.object({
  type: CartMessageType,
  line_id: Uuid.nullable(),
  message: z.string(),
  old_price: Cents.optional(),
  new_price: Cents.optional(),
  available: z.number().int().min(0).optional(),
});
export type CartMessage = z.infer<typeof CartMessage>;

export const CheckoutState = z.object({
  shipping_address: Address.nullable(),
  shipping_method: ShippingMethod.nullable(),
  billing_same_as_shipping: z.boolean(),
  billing_address: Address.nullable(),
  payment_method_id: PaymentMethodId.nullable(),
  terms_accepted: z.boolean(),
  completed_steps: z.array(CheckoutStep),
  missing_steps: z.array(CheckoutStep),
  ready: z.boolean(),
  started: z.boolean(),
  /** Preferred delivery date (YYYY-MM-DD) chosen on the shipping step; optional so older replies still parse. */
  preferred_delivery_date: IsoDate.nullable().optional(),
  /** Special delivery instructions exactly as the shopper gave them: escape them wherever they are rendered. */
  delivery_instructions: z.string().nullable().optional(),
  /** The version of the store's terms accepted (TERMS_VERSION at the time); null until accepted. */
  terms_version: z.string().nullable().optional(),
  /** The shopper asked to save the payment method for next time; only a shopper with an owner subject gets it saved. */
  save_payment_method: z.boolean().optional(),
});
export type CheckoutState = z.infer<typeof CheckoutState>;

/**
 * A shipping method as this cart would be charged for it (rules/shipping.ts), with its delivery
 * window counted from today: the cart prices every method, so no caller keeps its own rates.
 */
export const ShippingOption = z.object({
  method: ShippingMethod,
  label: z.string(),
  price: Cents,
  estimate: z.object({ earliest: IsoDate, latest: IsoDate }),
});
export type ShippingOption = z.infer<typeof ShippingOption>;

export const Cart = z.object({
  id: CartId,
  status: CartStatus,
  owner_subject: z.string().nullable(),
  conversation: z.string().nullable(),
  currency: Currency,
  lines: z.array(CartLine),
  coupon: AppliedCoupon.nullable(),
  totals: Totals,
  /** Every shipping method priced for this cart; the chosen one costs what `totals.shipping` says. */
  shipping_options: z.array(ShippingOption),
  messages: z.array(CartMessage),
  checkout: CheckoutState,
  /** Increases on every change: orders derive idempotency from (cart id, version). */
  version: z.number().int().min(0),
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
});
export type Cart = z.infer<typeof Cart>;

/**
 * A cart as a read-only call shows it: the caller's stored cart, or, with `id` null, the empty cart
 * of a caller who has none yet. Read-only calls never create a cart row (cart.carts.peek).
 */
export const ShownCart = Cart.extend({ id: CartId.nullable() });
export type ShownCart = z.infer<typeof ShownCart>;

/**
 * The conversation of a cart created without one (a client that sends no conversation id, as a
 * 2026-07-28 client may not): the cart is its own conversation, so its server-minted id is the
 * handle its orders are found by.
 */
export function cartConversation(cartId: string): string {
  return `cart:${cartId}`;
}

const WithCart = { cart_id: CartId, caller: Caller };

/** Get-or-create: the cart of the conversation, or the given cart id when it is the caller's. */
export const ResolveCartRequest = z
  .object({
    cart_id: CartId.optional(),
    caller: Caller,
    /** Priced by catalog itself, not from the cart service's cache of it: the look before an order is placed or paid. */
    fresh: z.boolean().optional(),
  })
  .strict();
export const GetCartRequest = z.object(WithCart).strict();
export const AddLineRequest = z
  .object({
    ...WithCart,
    product_id: Uuid,
    variant_id: Uuid.optional(),
    size: FreeText(textLimits.variantOption, { min: 1 }).optional(),
    color: FreeText(textLimits.variantOption, { min: 1 }).optional(),
    quantity: z.number().int('must be a whole number').min(1, 'must be at least 1').max(99, 'must be at most 99').default(1),
  })
  .strict();
/**
 * Add to the caller's cart in one request: the given cart id when it is the caller's, else the
 * conversation's cart, found or created as cart.carts.resolve does.
 */
export const AddToResolvedCartRequest = AddLineRequest.extend({ cart_id: CartId.optional() });
export const UpdateLineRequest = z
  .object({ ...WithCart, line_id: Uuid, quantity: z.number().int('must be a whole number').min(0, 'must not be negative').max(99, 'must be at most 99') })
  .strict();
export const RemoveLineRequest = z.object({ ...WithCart, line_id: Uuid }).strict();
export const ApplyCouponRequest = z.object({ ...WithCart, code: FreeText(textLimits.couponCode, { min: 1 }) }).strict();
export const UpdateCheckoutRequest = z
  .object({
    ...WithCart,
    shipping_address: Address.optional(),
    shipping_method: ShippingMethod.optional(),
    billing_same_as_shipping: z.boolean().optional(),
    billing_address: Address.optional(),
    payment_method_id: PaymentMethodId.optional(),
    accept_terms: z.boolean().optional(),
    /** YYYY-MM-DD; checked against the shipping method (standard, until one is chosen). null clears it. */
    preferred_delivery_date: IsoDate.nullable().optional(),
    /** Stored as given (line breaks allowed); null clears them. */
    delivery_instructions: z
      .string()
      .max(textLimits.deliveryInstructions, `must be at most ${textLimits.deliveryInstructions} characters`)
      .superRefine(textChecks({ multiline: true }))
      .nullable()
      .optional(),
    /** Save the payment method for the cart's owner once the order is paid (nothing is saved for a cart without an owner). */
    save_payment_method: z.boolean().optional(),
  })
  .strict();
/** Orders marks a cart converted once its order is confirmed. Idempotent per order id. */
export const ConvertCartRequest = z.object({ cart_id: CartId, order_id: Uuid }).strict();
/** What converting answers: the cart's new state, not its re-priced view (a look-up at catalog that orders, its caller, never read). */
export const ConvertedCart = z.object({ cart_id: CartId, status: z.literal('converted'), order_id: Uuid, version: z.number().int().nonnegative() }).strict();
export type ConvertedCart = z.infer<typeof ConvertedCart>;
/**
 * Orders takes one use of the cart's coupon for an order before anything is charged: counted
 * atomically against the coupon's usage limit (COUPON_LIMIT_REACHED at the limit). Idempotent per
 * order id: the same order again gets the same reply and counts nothing.
 */
export const ReserveCouponRequest = z.object({ order_id: Uuid, cart_id: CartId, code: ApplyCouponRequest.shape.code }).strict();
export const CouponReservation = z.object({
  reserved: z.literal(true),
  /** Uses counted when this order's use was taken, this one included. */
  times_used: z.number().int().min(0),
  usage_limit: z.number().int().min(0).nullable(),
});
export type CouponReservation = z.infer<typeof CouponReservation>;
/** Gives an order's coupon use back (placement failed, or cancelled before shipping). Idempotent: only the first call releases. */
export const ReleaseCouponRequest = z.object({ order_id: Uuid }).strict();
export const CouponRelease = z.object({ released: z.boolean() });
export type CouponRelease = z.infer<typeof CouponRelease>;

export const cartApi = {
  resolve: endpoint('cart.carts.resolve', ResolveCartRequest, Cart),
  /** resolve without creating: the caller's cart, or the empty cart (id null) when they have none. */
  peek: endpoint('cart.carts.peek', ResolveCartRequest, ShownCart),
  get: endpoint('cart.carts.get', GetCartRequest, Cart),
  clear: endpoint('cart.carts.clear', GetCartRequest, Cart),
  addLine: endpoint('cart.lines.add', AddLineRequest, Cart),
  addToResolved: endpoint('cart.lines.add_resolved', AddToResolvedCartRequest, Cart),
  updateLine: endpoint('cart.lines.update', UpdateLineRequest, Cart),
  removeLine: endpoint('cart.lines.remove', RemoveLineRequest, Cart),
  applyCoupon: endpoint('cart.coupons.apply', ApplyCouponRequest, Cart),
  removeCoupon: endpoint('cart.coupons.remove', GetCartRequest, Cart),
  startCheckout: endpoint('cart.checkout.start', GetCartRequest, Cart),
  updateCheckout: endpoint('cart.checkout.update', UpdateCheckoutRequest, Cart),
  convert: endpoint('cart.carts.convert', ConvertCartRequest, ConvertedCart),
  reserveCoupon: endpoint('cart.coupons.reserve', ReserveCouponRequest, CouponReservation),
  releaseCoupon: endpoint('cart.coupons.release', ReleaseCouponRequest, CouponRelease),
};

export const cartEvents = {
  created: 'evt.cart.created',
  abandoned: 'evt.cart.abandoned',
  converted: 'evt.cart.converted',
} as const;

/** Data of the cart's domain events (evt.cart.created / abandoned / converted). */
export const CartEventData = z.object({
  cart_id: CartId,
  owner_subject: z.string().nullable(),
  conversation: z.string().nullable(),
  item_count: z.number().int().min(0),
  /** Set on evt.cart.converted. */
  order_id: Uuid.optional(),
});
export type CartEventData = z.infer<typeof CartEventData>;
