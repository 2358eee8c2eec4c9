import type { Currency, PaymentStatus, SavedPaymentMethod } from '@shop/contracts';

/** The payment method a provider charged, as far as a shopper may see it. */
export interface MethodSummary {
  id: string | null;
  brand: string | null;
  last4: string | null;
}

/** A provider's view of one payment after any operation. */
export interface ProviderPayment {
  providerRef: string | null;
  status: PaymentStatus;
  amountCaptured: number;
  method: MethodSummary;
  failureCode: string | null;
  failureMessage: string | null;
  nextActionUrl: string | null;
}

export interface AuthorizeInput {
  /** Our payment id: lets a provider build links back to this payment. */
  paymentId: string;
  orderId: string;
  amount: number;
  currency: Currency;
  paymentMethodId: string;
  /** Whom orders says the payment is for (a conversation or an account): authorizes nothing. */
  customer: string;
  /** The account's provider customer, when the method is the account's own card or is to be saved for it. */
  providerCustomer: string | null;
  /** Keep the method for later charges (Stripe: attached to providerCustomer for off-session use). */
  saveMethod: boolean;
  capture: boolean;
  idempotencyKey: string;
  description?: string;
}

export interface RefundInput {
  providerRef: string;
  amount: number;
  idempotencyKey: string;
  reason?: string;
}

export interface ProviderRefund {
  providerRef: string | null;
  status: 'pending' | 'succeeded' | 'failed';
}

export interface CheckoutLinkInput {
  cartId: string;
  customer: string;
  amount: number;
  currency: Currency;
  lineItems: Array<{ name: string; quantity: number; unitAmount: number }>;
  idempotencyKey: string;
  expiresAt: Date;
  /** The order the link pays for, when there is one (kept in the provider's metadata). */
  orderId?: string;
}

export interface ProviderCheckoutLink {
  id: string;
  url: string;
  expiresAt: Date;
}

/**
 * A provider event after verification, reduced to what this service acts on. Both Stripe
 * webhooks and the demo pages produce these, so one handler serves both.
 */
export type ProviderEvent =
  | { id: string; kind: 'payment_updated'; providerRef: string; payment: ProviderPayment }
  | { id: string; kind: 'checkout_completed'; checkoutId: string; providerPaymentRef: string | null; amount: number | null }
  | { id: string; kind: 'checkout_expired'; checkoutId: string }
  /** A setup session completed: the card its SetupIntent collected is to be saved for the session's customer. */
  | { id: string; kind: 'setup_completed'; checkoutId: string; setupIntentRef: string; providerCustomer: string | null }
  | { id: string; kind: 'ignored'; type: string };

/** A setup session: the shopper adds a card to their account on the provider's page. */
export interface SetupSessionInput {
  accountId: string;
  providerCustomer: string;
  /** Where the page sends the shopper when done or cancelled. */
  returnUrl: string;
  expiresAt: Date;
  idempotencyKey: string;
}

export interface RawWebhook {
  id: string;
  type: string;
  /** The event exactly as received, stored for audit and later processing. */
  payload: unknown;
}

export interface PaymentProvider {
  readonly name: 'demo' | 'stripe';
  authorize(input: AuthorizeInput): Promise<ProviderPayment>;
  capture(providerRef: string, idempotencyKey: string): Promise<ProviderPayment>;
  void(providerRef: string, idempotencyKey: string): Promise<ProviderPayment>;
  refund(input: RefundInput): Promise<ProviderRefund>;
  retrieve(providerRef: string): Promise<ProviderPayment>;
  /** Methods offered to everyone, signed in or not: the test cards (demo, Stripe test mode); none in live mode. */
  testCards(): SavedPaymentMethod[];
  /** Creates the provider's customer for an account (idempotent under the key). */
  createCustomer(accountId: string, idempotencyKey: string): Promise<string>;
  /** A page where the shopper adds a card to their account; its URL and when it closes. */
  createSetupSession(input: SetupSessionInput): Promise<{ url: string; expiresAt: Date }>;
  /** The card a completed SetupIntent collected. */
  setupMethod(setupIntentRef: string): Promise<MethodSummary>;
  /** Detaches a removed card from the provider's customer, so it can no longer be charged there. */
  detachMethod(paymentMethodId: string): Promise<void>;
  createCheckoutLink(input: CheckoutLinkInput): Promise<ProviderCheckoutLink>;
  /** Closes an open checkout so it can no longer be paid; 'complete' when it was paid first. */
  expireCheckoutLink(id: string): Promise<'expired' | 'complete'>;
  /** Verifies a webhook's signature on its raw body; throws WEBHOOK_INVALID when it fails. */
  verifyWebhook(rawBody: Buffer, signature: string | undefined): RawWebhook;
  /** Reduces a verified (or locally produced) event to what the service acts on. */
  interpretEvent(payload: unknown): ProviderEvent;
}
