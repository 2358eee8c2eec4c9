import { z } from 'zod';
import { Cents, Currency } from './money.js';
import { CartId, Caller, endpoint, FreeText, IdempotencyKey, IsoDate, IsoDateTime, Page, PageInfo, PerPage, Uuid } from './common.js';
import { Address, PaymentMethodId, ShippingMethod } from './checkout.js';
import { AppliedCoupon, Cart } from './cart.js';
import { CheckoutLink } from './payments.js';
import { textLimits } from './rules/index.js';
import { LineItem } from './line-item.js';

export const OrderStatus = z.enum(['pending', 'confirmed', 'shipped', 'delivered', 'cancelled', 'refunded', 'payment_failed']);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const OrderNumber = z.string().regex(/^ORD-\d{4}-\d{5,}$/, 'must look like ORD-2026-00042');

export const OrderLine = z.object({
  ...LineItem.shape,
  unit_price: Cents,
  quantity: z.number().int().min(1),
  line_subtotal: Cents,
});
export type OrderLine = z.infer<typeof OrderLine>;

export const TimelineEntry = z.object({
  status: OrderStatus,
  at: IsoDateTime,
  actor: z.string(),
  reason: z.string().nullable(),
});

export const Order = z.object({
  id: Uuid,
  number: OrderNumber,
  status: OrderStatus,
  cart_id: CartId,
  owner_subject: z.string().nullable(),
  conversation: z.string().nullable(),
  lines: z.array(OrderLine),
  coupon: AppliedCoupon.nullable(),
  subtotal: Cents,
  discount: Cents,
  shipping: Cents,
  tax: Cents,
  total: Cents,
  currency: Currency,
  item_count: z.number().int(),
  shipping_method: ShippingMethod,
  shipping_address: Address,
  billing_address: Address,
  /** The shipping method's window in business days from placement; a preferred date does not change it. */
  estimated_delivery: z.object({ earliest: IsoDate, latest: IsoDate }),
  /**
   * Delivery preferences and the accepted terms version, snapshotted from checkout at placement
   * (null when the shopper gave none). Optional so replies of older orders services still parse.
   * The preferred date is the shopper's wish, shown beside `estimated_delivery`, not a promise.
   */
  preferred_delivery_date: IsoDate.nullable().optional(),
  /** Exactly as the shopper wrote them: escape wherever rendered. */
  delivery_instructions: z.string().nullable().optional(),
  terms_version: z.string().nullable().optional(),
  payment: z.object({ status: z.string().nullable(), brand: z.string().nullable(), last4: z.string().nullable() }),
  tracking: z.object({ carrier: z.string(), number: z.string(), url: z.string() }).nullable(),
  timeline: z.array(TimelineEntry),
  /** Why the order failed or was cancelled, in words a shopper can read. */
  reason: z.string().nullable(),
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
});
export type Order = z.infer<typeof Order>;

/**
 * What an order froze of its validated cart at placement: orders keeps it as one jsonb document
 * (column `snapshot`), checked against this schema when it is written and when it is read back.
 * The priced parts are the Order's own fields; the rest is what the saga charges with.
 */
export const OrderSnapshot = Order.pick({
  coupon: true,
  subtotal: true,
  discount: true,
  shipping: true,
  tax: true,
  total: true,
  item_count: true,
  shipping_method: true,
  shipping_address: true,
  billing_address: true,
  estimated_delivery: true,
})
  .extend({
    preferred_delivery_date: IsoDate.nullable(),
    delivery_instructions: z.string().max(textLimits.deliveryInstructions).nullable(),
    terms_version: z.string().nullable(),
    /** The payment provider's customer the saga charges. */
    customer: z.string().min(1),
    /** Null for an order paid through a checkout link (the method is chosen on the provider's page). */
    payment_method_id: z.string().nullable(),
    /** The owner subject to save the payment method for, when the shopper asked. */
    save_payment_method_for: z.string().nullable(),
  })
  .strict();
export type OrderSnapshot = z.infer<typeof OrderSnapshot>;

export const OrderSummary = Order.pick({ id: true, number: true, status: true, total: true, currency: true, item_count: true, created_at: true, estimated_delivery: true }).extend({
  first_item_name: z.string(),
});

export const OrderRef = z.object({ order_id: z.union([Uuid, OrderNumber]), caller: Caller }).strict();

export const PlaceOrderRequest = z
  .object({
    cart_id: CartId,
    caller: Caller,
    idempotency_key: IdempotencyKey,
    payment_method_id: PaymentMethodId.optional(),
    /** The total the shopper confirmed; when re-validation finds another, the order is refused (CART_CHANGED). */
    expected_total: Cents.optional(),
  })
  .strict();
/**
 * Placement paid through an external checkout link: the same saga up to the stock reservation,
 * then a link for that order; the order is confirmed when the link is paid (`evt.payment.captured`).
 */
export const PlaceExternalRequest = z
  .object({
    cart_id: CartId,
    caller: Caller,
    idempotency_key: IdempotencyKey,
    /** As for place: the total the shopper saw; another one is refused with CART_CHANGED. */
    expected_total: Cents.optional(),
  })
  .strict();
/** The order (pending until paid, payment status `awaiting_payment`) and the link that pays it. */
export const PlaceExternalResult = z.object({ order: Order, checkout_link: CheckoutLink });
/**
 * "The order of this cart", for a place_order that repeats one already answered: the order placed
 * from the cart (the one holding its one placement), else null. `fresh_cart_created_at` says the
 * cart is the caller's new, untouched cart, created then: the order asked about is then the
 * conversation's (else, for an account calling without a conversation, the account's) order placed
 * just before it, within orders' repeat window, since placing converts a cart and the next call gets
 * a new one. An order whose payment failed is never
 * the answer (placing again is a new attempt), nor an order the caller may not see.
 */
export const PlacedOrderRequest = z
  .object({
    cart_id: CartId,
    caller: Caller,
    fresh_cart_created_at: IsoDateTime.optional(),
  })
  .strict();
export const PlacedOrderResult = z.object({ order: Order.nullable() });
export const ListOrdersRequest = z.object({ caller: Caller, page: Page, per_page: PerPage }).strict();
export const ListOrdersResult = z.object({ items: z.array(OrderSummary), page_info: PageInfo });
export const CancelOrderRequest = z.object({ order_id: z.union([Uuid, OrderNumber]), caller: Caller, reason: FreeText(textLimits.reason, { multiline: true }).optional() }).strict();
export const ReorderRequest = z.object({ order_id: z.union([Uuid, OrderNumber]), caller: Caller, cart_id: CartId }).strict();
export const ReorderResult = z.object({
  cart: Cart,
  added: z.array(z.object({ name: z.string(), quantity: z.number().int() })),
  not_added: z.array(z.object({ name: z.string(), requested: z.number().int(), reason: z.string() })),
});
/**
 * The returns window of the store's returns policy, in days after delivery: the policy text and
 * the refund rule (`orders.orders.refund`) both read this one number.
 */
export const RETURN_WINDOW_DAYS = 30;

/**
 * A refund of a shipped or delivered order (a return), within RETURN_WINDOW_DAYS of delivery:
 * the whole amount still captured goes back; the order becomes `refunded`.
 */
export const RefundOrderRequest = z.object({ order_id: z.union([Uuid, OrderNumber]), caller: Caller, reason: FreeText(textLimits.reason, { multiline: true }).optional() }).strict();
/** Fulfilment operations (staff / simulation), HTTP and NATS. */
export const FulfilmentRequest = z.object({ order_id: z.union([Uuid, OrderNumber]) }).strict();

export const ordersApi = {
  place: endpoint('orders.orders.place', PlaceOrderRequest, Order),
  placeExternal: endpoint('orders.orders.place_external', PlaceExternalRequest, PlaceExternalResult),
  get: endpoint('orders.orders.get', OrderRef, Order),
  placed: endpoint('orders.orders.placed', PlacedOrderRequest, PlacedOrderResult),
  list: endpoint('orders.orders.list', ListOrdersRequest, ListOrdersResult),
  cancel: endpoint('orders.orders.cancel', CancelOrderRequest, Order),
  refund: endpoint('orders.orders.refund', RefundOrderRequest, Order),
  reorder: endpoint('orders.orders.reorder', ReorderRequest, ReorderResult),
  ship: endpoint('orders.fulfilment.ship', FulfilmentRequest, Order),
  deliver: endpoint('orders.fulfilment.deliver', FulfilmentRequest, Order),
};

export const orderEvents = {
  confirmed: 'evt.order.confirmed',
  paymentFailed: 'evt.order.payment_failed',
  cancelled: 'evt.order.cancelled',
  shipped: 'evt.order.shipped',
  delivered: 'evt.order.delivered',
  refunded: 'evt.order.refunded',
} as const;

/** Data of `evt.order.confirmed`: the cart service counts coupon usage from it; the notifier mails the shopper. */
export const OrderConfirmedEvent = z.object({
  order_id: Uuid,
  order_number: OrderNumber,
  cart_id: CartId,
  owner_subject: z.string().nullable(),
  conversation: z.string().nullable(),
  coupon_code: z.string().nullable(),
  total: Cents,
  currency: Currency,
});
export type OrderConfirmedEvent = z.infer<typeof OrderConfirmedEvent>;

/** Data of `evt.order.shipped`. */
export const OrderShippedEvent = z.object({
  order_id: Uuid,
  order_number: OrderNumber,
  tracking: z.object({ carrier: z.string(), number: z.string(), url: z.string() }),
});
export type OrderShippedEvent = z.infer<typeof OrderShippedEvent>;

/** Data of `evt.order.delivered`. */
export const OrderDeliveredEvent = z.object({ order_id: Uuid, order_number: OrderNumber });
export type OrderDeliveredEvent = z.infer<typeof OrderDeliveredEvent>;

/** Data of `evt.order.cancelled`: why, and how much went back to the shopper (0 when nothing was charged). */
export const OrderCancelledEvent = z.object({
  order_id: Uuid,
  order_number: OrderNumber,
  cart_id: CartId,
  reason: z.string(),
  refund_amount: Cents,
  currency: Currency,
});
export type OrderCancelledEvent = z.infer<typeof OrderCancelledEvent>;

/** Data of `evt.order.refunded`: the order's payment was refunded in full (a return, or a refund made at payments). */
export const OrderRefundedEvent = z.object({
  order_id: Uuid,
  order_number: OrderNumber,
  cart_id: CartId,
  reason: z.string(),
  /** What went back to the shopper in all, in cents. */
  refund_amount: Cents,
  currency: Currency,
});
export type OrderRefundedEvent = z.infer<typeof OrderRefundedEvent>;
