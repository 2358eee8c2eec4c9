import Stripe from 'stripe';
import { AppError, type SavedPaymentMethod } from '@shop/contracts';
import { checkoutLineItems } from '../../domain/checkout.js';
import { failureMessageFor, findDemoMethod, testCardMethods } from '../../domain/demo-methods.js';
import type {
  AuthorizeInput,
  CheckoutLinkInput,
  MethodSummary,
  PaymentProvider,
  ProviderCheckoutLink,
  ProviderEvent,
  ProviderPayment,
  ProviderRefund,
  RawWebhook,
  RefundInput,
  SetupSessionInput,
} from '../../domain/provider.js';
import { failureCode, interpretStripeEvent, paymentFromIntent, type IntentLike } from '../../domain/stripe-mapping.js';
import { verifyStripeWebhook } from './webhook.js';

export interface StripeProviderOptions {
  /** Where the shopper lands after a redirect (3-D Secure, hosted checkout). */
  returnUrl: string;
  successUrl: string;
  cancelUrl: string;
  webhookSecret?: string;
  /** Test-mode keys (sk_test_…) can charge Stripe's test PaymentMethods without a customer. */
  testMode: boolean;
}

export interface StripeClientOptions {
  secretKey: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  maxNetworkRetries: number;
}

export function createStripeClient(o: StripeClientOptions): Stripe {
  return new Stripe(o.secretKey, {
    maxNetworkRetries: o.maxNetworkRetries,
    timeout: 20_000,
    ...(o.host ? { host: o.host } : {}),
    ...(o.port ? { port: o.port } : {}),
    ...(o.protocol ? { protocol: o.protocol } : {}),
    appInfo: { name: 'convo-commerce-payments' },
  });
}

/** PaymentIntents, refunds and Checkout Sessions through the official SDK. */
export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  constructor(
    private readonly stripe: Stripe,
    private readonly opts: StripeProviderOptions,
  ) {}

  async authorize(input: AuthorizeInput): Promise<ProviderPayment> {
    const fallback: MethodSummary = { id: input.paymentMethodId, brand: null, last4: null };
    const params: Stripe.PaymentIntentCreateParams = {
      amount: input.amount,
      currency: input.currency.toLowerCase(),
      payment_method: input.paymentMethodId,
      confirm: true,
      capture_method: input.capture ? 'automatic' : 'manual',
      metadata: { order_id: input.orderId, payment_id: input.paymentId },
      return_url: this.opts.returnUrl,
      expand: ['payment_method'],
      // An account's own card is charged under its customer (Stripe refuses it otherwise); a card to
      // keep is attached to that customer for off-session use. A test card needs neither.
      ...(input.providerCustomer ? { customer: input.providerCustomer } : {}),
      ...(input.providerCustomer && input.saveMethod ? { setup_future_usage: 'off_session' as const } : {}),
      ...(input.description ? { description: input.description } : {}),
    };
    try {
      const intent = await this.stripe.paymentIntents.create(params, { idempotencyKey: input.idempotencyKey });
      return paymentFromIntent(intent as unknown as IntentLike, fallback);
    } catch (e) {
      if (e instanceof Stripe.errors.StripeCardError) return declined(e, fallback);
      throw mapStripeError(e);
    }
  }

  async capture(providerRef: string, idempotencyKey: string): Promise<ProviderPayment> {
    return this.intentCall(() => this.stripe.paymentIntents.capture(providerRef, { expand: ['payment_method'] }, { idempotencyKey }));
  }

  async void(providerRef: string, idempotencyKey: string): Promise<ProviderPayment> {
    return this.intentCall(() => this.stripe.paymentIntents.cancel(providerRef, { expand: ['payment_method'] }, { idempotencyKey }));
  }

  async retrieve(providerRef: string): Promise<ProviderPayment> {
    return this.intentCall(() => this.stripe.paymentIntents.retrieve(providerRef, { expand: ['payment_method'] }));
  }

  async refund(input: RefundInput): Promise<ProviderRefund> {
    try {
      const refund = await this.stripe.refunds.create(
        { payment_intent: input.providerRef, amount: input.amount, ...(input.reason ? { metadata: { reason: input.reason.slice(0, 500) } } : {}) },
        { idempotencyKey: input.idempotencyKey },
      );
      const status = refund.status === 'succeeded' ? 'succeeded' : refund.status === 'failed' || refund.status === 'canceled' ? 'failed' : 'pending';
      return { providerRef: refund.id, status };
    } catch (e) {
      throw mapStripeError(e);
    }
  }

  testCards(): SavedPaymentMethod[] {
    return this.opts.testMode ? testCardMethods() : [];
  }

  async createCustomer(accountId: string, idempotencyKey: string): Promise<string> {
    try {
      // Only the account id, so the Stripe dashboard can name the account; no e-mail or name is sent.
      const customer = await this.stripe.customers.create({ metadata: { account_id: accountId } }, { idempotencyKey });
      return customer.id;
    } catch (e) {
      throw mapStripeError(e);
    }
  }

  /** Checkout in setup mode: Stripe's page collects the card and attaches it to the account's customer. */
  async createSetupSession(input: SetupSessionInput): Promise<{ url: string; expiresAt: Date }> {
    try {
      const session = await this.stripe.checkout.sessions.create(setupSessionParams(input), { idempotencyKey: input.idempotencyKey });
      if (!session.url) throw new AppError('UNAVAILABLE', 'The payment provider did not return a setup page. Please try again.');
      return { url: session.url, expiresAt: new Date((session.expires_at ?? Math.floor(input.expiresAt.getTime() / 1000)) * 1000) };
    } catch (e) {
      throw mapStripeError(e);
    }
  }

  async setupMethod(setupIntentRef: string): Promise<MethodSummary> {
    try {
      const intent = await this.stripe.setupIntents.retrieve(setupIntentRef, { expand: ['payment_method'] });
      const pm = intent.payment_method;
      if (!pm || typeof pm === 'string') return { id: typeof pm === 'string' ? pm : null, brand: null, last4: null };
      return { id: pm.id, brand: pm.card?.brand ?? null, last4: pm.card?.last4 ?? null };
    } catch (e) {
      throw mapStripeError(e);
    }
  }

  async detachMethod(paymentMethodId: string): Promise<void> {
    // A test card id (pm_card_visa) names no attached card: there is nothing to detach.
    if (findDemoMethod(paymentMethodId)) return;
    try {
      await this.stripe.paymentMethods.detach(paymentMethodId);
    } catch (e) {
      throw mapStripeError(e);
    }
  }

  async createCheckoutLink(input: CheckoutLinkInput): Promise<ProviderCheckoutLink> {
    const currency = input.currency.toLowerCase();
    try {
      const session = await this.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: checkoutLineItems(input.amount, input.lineItems).map((i) => ({
            quantity: i.quantity,
            price_data: { currency, unit_amount: i.unitAmount, product_data: { name: i.name } },
          })),
          success_url: this.opts.successUrl,
          cancel_url: this.opts.cancelUrl,
          client_reference_id: input.cartId,
          metadata: { cart_id: input.cartId, customer: input.customer, ...(input.orderId ? { order_id: input.orderId } : {}) },
          ...(input.orderId ? { payment_intent_data: { metadata: { order_id: input.orderId } } } : {}),
          expires_at: Math.floor(input.expiresAt.getTime() / 1000),
        },
        { idempotencyKey: input.idempotencyKey },
      );
      if (!session.url) throw new AppError('UNAVAILABLE', 'The payment provider did not return a checkout link. Please try again.');
      return { id: session.id, url: session.url, expiresAt: new Date((session.expires_at ?? Math.floor(input.expiresAt.getTime() / 1000)) * 1000) };
    } catch (e) {
      throw mapStripeError(e);
    }
  }

  async expireCheckoutLink(id: string): Promise<'expired' | 'complete'> {
    try {
      const session = await this.stripe.checkout.sessions.expire(id);
      return session.status === 'complete' ? 'complete' : 'expired';
    } catch (e) {
      // Stripe refuses to expire a session that is no longer open: ask how it ended.
      if (!(e instanceof Stripe.errors.StripeInvalidRequestError)) throw mapStripeError(e);
    }
    try {
      const session = await this.stripe.checkout.sessions.retrieve(id);
      if (session.status === 'open') throw new AppError('UNAVAILABLE', 'The checkout could not be closed right now. Please try again.');
      return session.status === 'complete' ? 'complete' : 'expired';
    } catch (e) {
      throw mapStripeError(e);
    }
  }

  verifyWebhook(rawBody: Buffer, signature: string | undefined): RawWebhook {
    return verifyStripeWebhook(rawBody, signature, this.opts.webhookSecret);
  }

  interpretEvent(payload: unknown): ProviderEvent {
    return interpretStripeEvent(payload);
  }

  private async intentCall(call: () => Promise<Stripe.PaymentIntent>): Promise<ProviderPayment> {
    try {
      const intent = await call();
      return paymentFromIntent(intent as unknown as IntentLike, { id: null, brand: null, last4: null });
    } catch (e) {
      throw mapStripeError(e);
    }
  }
}

/**
 * The Checkout Session of a setup: mode setup, cards only, under the account's customer, the account
 * in its metadata (the webhook saves the card for the customer's account, checked against our table).
 */
export function setupSessionParams(input: SetupSessionInput): Stripe.Checkout.SessionCreateParams {
  return {
    mode: 'setup',
    currency: 'usd',
    allowed_payment_method_types: ['card'],
    customer: input.providerCustomer,
    success_url: input.returnUrl,
    cancel_url: input.returnUrl,
    metadata: { account_id: input.accountId, purpose: 'setup' },
    setup_intent_data: { metadata: { account_id: input.accountId } },
    expires_at: Math.floor(input.expiresAt.getTime() / 1000),
  };
}

/** A card decline is an outcome, not an error: the payment is recorded as failed with its code. */
function declined(e: Stripe.errors.StripeCardError, fallback: MethodSummary): ProviderPayment {
  const raw = e.raw as { payment_intent?: IntentLike; code?: string; decline_code?: string; message?: string } | undefined;
  const code = failureCode({ code: e.code ?? raw?.code, decline_code: e.decline_code ?? raw?.decline_code });
  return {
    providerRef: raw?.payment_intent?.id ?? null,
    status: 'failed',
    amountCaptured: 0,
    method: fallback,
    failureCode: code,
    failureMessage: failureMessageFor(code, e.message),
    nextActionUrl: null,
  };
}

/** Stripe's errors in our codes; the provider's text never reaches a shopper unfiltered. */
export function mapStripeError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  // A 409 key conflict arrives as a generic API error carrying the idempotency_error type.
  if (e instanceof Stripe.errors.StripeIdempotencyError || (e instanceof Stripe.errors.StripeError && e.rawType === 'idempotency_error')) {
    return new AppError('IDEMPOTENCY_CONFLICT', 'This request reused an idempotency key with different details.', { provider: 'stripe' });
  }
  if (e instanceof Stripe.errors.StripeInvalidRequestError) {
    if (e.code === 'resource_missing' && e.param === 'payment_method') {
      return new AppError('PAYMENT_METHOD_NOT_FOUND', 'That payment method is not one of your saved methods.');
    }
    if (e.code === 'resource_missing') return new AppError('PAYMENT_NOT_FOUND', 'The payment provider does not know this payment.');
    if (e.code === 'payment_intent_unexpected_state') return new AppError('INVALID_TRANSITION', 'The payment provider refused this change for the payment in its current state.');
    return new AppError('INVALID_INPUT', 'The payment provider refused the request.', { provider_code: e.code ?? null, param: e.param ?? null });
  }
  if (e instanceof Stripe.errors.StripeRateLimitError) return new AppError('UNAVAILABLE', 'The payment provider is busy. Please try again in a moment.');
  return new AppError('UNAVAILABLE', 'The payment provider could not be reached. Please try again in a moment.');
}
