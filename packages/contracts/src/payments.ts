import { z } from 'zod';
import { Cents, Currency } from './money.js';
import { endpoint, FreeText, IdempotencyKey, IsoDateTime, Uuid } from './common.js';
import { textLimits } from './rules/index.js';
import { PaymentMethodId } from './checkout.js';

export const PaymentStatus = z.enum([
  'pending',
  'requires_action',
  'authorized',
  'captured',
  'partially_refunded',
  'refunded',
  'voided',
  'failed',
  'canceled',
]);
export type PaymentStatus = z.infer<typeof PaymentStatus>;

export const Provider = z.enum(['demo', 'stripe']);

/** What a shopper sees of a saved method: never a number, CVC or expiry. */
export const SavedPaymentMethod = z.object({
  id: PaymentMethodId,
  brand: z.string(),
  last4: z.string().regex(/^\d{4}$/),
  label: z.string(),
  is_default: z.boolean(),
  /**
   * True for a method the account saved (with an order or on the provider's setup page); false for
   * one offered to everyone: the provider's test cards (demo, Stripe test mode), whose label starts
   * "Test card:", usable by anyone as Stripe's test PaymentMethod ids are.
   */
  saved: z.boolean().optional(),
});
export type SavedPaymentMethod = z.infer<typeof SavedPaymentMethod>;

export const Payment = z.object({
  id: Uuid,
  order_id: Uuid,
  provider: Provider,
  provider_ref: z.string().nullable(),
  amount: Cents,
  currency: Currency,
  status: PaymentStatus,
  amount_captured: Cents,
  amount_refunded: Cents,
  payment_method: z.object({ id: z.string().nullable(), brand: z.string().nullable(), last4: z.string().nullable() }),
  /** Set when status is failed: e.g. card_declined, insufficient_funds. */
  failure_code: z.string().nullable(),
  failure_message: z.string().nullable(),
  /** Where the shopper completes extra authentication (status requires_action). */
  next_action_url: z.string().nullable(),
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
});
export type Payment = z.infer<typeof Payment>;

export const Refund = z.object({
  id: Uuid,
  payment_id: Uuid,
  amount: Cents,
  status: z.enum(['pending', 'succeeded', 'failed']),
  reason: z.string().nullable(),
  created_at: IsoDateTime,
});
export type Refund = z.infer<typeof Refund>;

/**
 * Whom a payment is for, as orders names it (the cart's owner, else its conversation). It authorizes
 * nothing: a conversation id is chosen by the host and could be written to look like an account id.
 */
export const CustomerRef = z.string().min(1).max(200);

/**
 * A shop account (accounts' customer id, the verified access token's `sub`). Saved payment methods
 * and the provider's customer belong to one; nothing personal exists without one.
 */
export const AccountId = Uuid;

export const AuthorizeRequest = z
  .object({
    order_id: Uuid,
    amount: Cents.refine((v) => v > 0, 'must be more than 0'),
    currency: Currency,
    idempotency_key: IdempotencyKey,
    payment_method_id: PaymentMethodId,
    customer: CustomerRef,
    /** true: charge now (authorise + capture); false: authorise only. */
    capture: z.boolean().default(true),
    description: FreeText(textLimits.description, { multiline: true }).optional(),
    /**
     * The order's account: its cart's owner subject, which is the verified account id. A method that
     * is not one of the provider's test cards is charged only when it is saved for this account; absent
     * for a guest order (test cards only). A subject that is no account id (a cart from before
     * accounts) owns no saved methods.
     */
    account: CustomerRef.optional(),
    /** Once the payment succeeds, save its method for later orders; honoured only when it equals `account`. */
    save_for_customer: CustomerRef.optional(),
  })
  .strict();
export const PaymentRef = z.object({ payment_id: Uuid }).strict();
export const PaymentByOrder = z.object({ order_id: Uuid }).strict();
export const RefundRequest = z
  .object({
    payment_id: Uuid,
    /** Omit for the full remaining captured amount. */
    amount: Cents.refine((v) => v > 0, 'must be more than 0').optional(),
    reason: FreeText(textLimits.reason, { multiline: true }).optional(),
    idempotency_key: IdempotencyKey,
    /**
     * The service asking (orders is the only caller meant to refund); recorded on the refund. Declared by
     * the caller until the NATS permissions let only orders publish here (issue 14).
     */
    requested_by: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be a service name').optional(),
  })
  .strict();
/**
 * With an account: its saved methods (the default first), then the test cards it has not saved.
 * Without one: the test cards only, nothing personal.
 */
export const ListMethodsRequest = z
  .object({
    account: AccountId.optional(),
    /**
     * Deprecated, the former request shape: accepted and ignored (it names no verified account), so
     * a request carrying only this lists the test cards. Send `account`.
     */
    customer: CustomerRef.optional(),
  })
  .strict();
export const ListMethodsResult = z.object({ methods: z.array(SavedPaymentMethod) });
/** Set default / remove: only among the account's own saved methods (PAYMENT_METHOD_NOT_FOUND otherwise). */
export const AccountMethodRequest = z.object({ account: AccountId, payment_method_id: PaymentMethodId }).strict();

/**
 * Adding a card to an account: a link to the provider's setup flow (the demo setup page, or Stripe
 * Checkout in setup mode), valid a short while; the account is sealed into the link by payments,
 * never taken from the page.
 */
export const SetupLinkRequest = z
  .object({
    account: AccountId,
    /** Where the page sends the shopper back to (the accounts "your account" page). */
    return_url: z
      .string()
      .url()
      .max(2000)
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
  })
  .strict();
export const SetupLink = z.object({ url: z.string().url(), expires_at: IsoDateTime });
export type SetupLink = z.infer<typeof SetupLink>;

export const CheckoutLinkRequest = z
  .object({
    /** What the link pays for: the cart it was created from. */
    cart_id: z.string().regex(/^[0-9a-f]{32}$/),
    customer: CustomerRef,
    amount: Cents.refine((v) => v > 0, 'must be more than 0'),
    currency: Currency,
    line_items: z.array(z.object({ name: FreeText(textLimits.lineItemName), quantity: z.number().int().min(1), unit_amount: Cents })).min(1).max(100),
    idempotency_key: IdempotencyKey,
    /** The order the link pays for: payments records a pending payment for it, captured when the link is paid. */
    order_id: Uuid.optional(),
    /** How long the link stays open (Stripe's limits); the service's CHECKOUT_LINK_TTL_MINUTES otherwise. */
    expires_in_minutes: z.number().int().min(30).max(1440).optional(),
  })
  .strict();
export const CheckoutLink = z.object({
  id: z.string(),
  url: z.string().url(),
  status: z.enum(['open', 'completed', 'canceled', 'expired']),
  expires_at: IsoDateTime,
  /** The payment recorded for the link's order (links created with an order_id). */
  payment_id: Uuid.nullable().optional(),
});
export type CheckoutLink = z.infer<typeof CheckoutLink>;

export const paymentsApi = {
  authorize: endpoint('payments.payments.authorize', AuthorizeRequest, Payment),
  capture: endpoint('payments.payments.capture', PaymentRef, Payment),
  void: endpoint('payments.payments.void', PaymentRef, Payment),
  get: endpoint('payments.payments.get', PaymentRef, Payment),
  getByOrder: endpoint('payments.payments.by_order', PaymentByOrder, Payment),
  refund: endpoint('payments.refunds.create', RefundRequest, Refund),
  listMethods: endpoint('payments.methods.list', ListMethodsRequest, ListMethodsResult),
  setDefaultMethod: endpoint('payments.methods.set_default', AccountMethodRequest, ListMethodsResult),
  removeMethod: endpoint('payments.methods.remove', AccountMethodRequest, ListMethodsResult),
  createSetupLink: endpoint('payments.setup_links.create', SetupLinkRequest, SetupLink),
  createCheckoutLink: endpoint('payments.checkout_links.create', CheckoutLinkRequest, CheckoutLink),
};

export const paymentEvents = {
  authorized: 'evt.payment.authorized',
  captured: 'evt.payment.captured',
  failed: 'evt.payment.failed',
  refunded: 'evt.payment.refunded',
  voided: 'evt.payment.voided',
  checkoutCompleted: 'evt.payment.checkout_completed',
  /** A checkout link's payment that will not happen: the shopper cancelled on the page, or the link expired. */
  canceled: 'evt.payment.canceled',
} as const;
/** The subjects whose data is a PaymentEventData (every payment event but checkout_completed). */
export type PaymentSubject = Exclude<(typeof paymentEvents)[keyof typeof paymentEvents], typeof paymentEvents.checkoutCompleted>;

/** Payments of one order, newest first (HTTP `GET /v1/payments?order_id=`). */
export const ListPaymentsQuery = z.object({ order_id: Uuid }).strict();
export const PaymentList = z.object({ items: z.array(Payment) });

/** Data of every evt.payment.authorized|captured|failed|refunded|voided|canceled event. */
export const PaymentEventData = z.object({
  payment_id: Uuid,
  order_id: Uuid,
  status: PaymentStatus,
  amount: Cents,
  currency: Currency,
  amount_captured: Cents,
  amount_refunded: Cents,
  failure_code: z.string().nullable(),
  failure_message: z.string().nullable(),
  /** Set on evt.payment.refunded: the refund that caused it. */
  refund: z.object({ id: Uuid, amount: Cents }).optional(),
});
export type PaymentEventData = z.infer<typeof PaymentEventData>;

/** Data of evt.payment.checkout_completed: an external checkout link was paid. */
export const CheckoutCompletedEventData = z.object({
  checkout_id: z.string(),
  cart_id: z.string().regex(/^[0-9a-f]{32}$/),
  customer: CustomerRef,
  amount: Cents,
  currency: Currency,
  provider: Provider,
  /** The provider's payment (e.g. a Stripe PaymentIntent id), when it reports one. */
  provider_payment_ref: z.string().nullable(),
  /** Set for a link created for an order: the order and the payment that was captured. */
  order_id: Uuid.optional(),
  payment_id: Uuid.optional(),
});
export type CheckoutCompletedEventData = z.infer<typeof CheckoutCompletedEventData>;
