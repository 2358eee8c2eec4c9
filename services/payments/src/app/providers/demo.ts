import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, type PaymentStatus, type SavedPaymentMethod } from '@shop/contracts';
import { failureMessageFor, findDemoMethod, testCardMethods } from '../../domain/demo-methods.js';
import type { SetupClaims } from '../../domain/setup-capability.js';
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
import { interpretStripeEvent } from '../../domain/stripe-mapping.js';
import { verifyStripeWebhook } from './webhook.js';

/** What the demo provider knows of a payment: our own record is its only "remote" state. */
export interface DemoRecord {
  status: PaymentStatus;
  amount: number;
  amountCaptured: number;
  method: MethodSummary;
}

export interface DemoProviderOptions {
  publicUrl: () => string;
  webhookSecret?: string;
  findByRef: (providerRef: string) => Promise<DemoRecord | null>;
  /** Signs the capability of a demo setup page link (http/setup.ts checks it). */
  signSetup: (claims: SetupClaims) => string;
  /** Test configuration only (see main.ts): authorisations for this customer answer after ms. */
  hang?: { customer: string; ms: number };
}

export function demoPaymentRef(paymentId: string): string {
  return `pi_demo_${paymentId.replace(/-/g, '')}`;
}

/** Fully offline provider whose saved methods behave like Stripe's test PaymentMethods. */
export class DemoProvider implements PaymentProvider {
  readonly name = 'demo' as const;
  constructor(private readonly opts: DemoProviderOptions) {}

  async authorize(input: AuthorizeInput): Promise<ProviderPayment> {
    const method = findDemoMethod(input.paymentMethodId);
    if (!method) throw new AppError('PAYMENT_METHOD_NOT_FOUND', 'That payment method is not one of your saved methods.', { payment_method_id: input.paymentMethodId });
    if (this.opts.hang && input.customer === this.opts.hang.customer) await sleep(this.opts.hang.ms);
    const base = {
      providerRef: demoPaymentRef(input.paymentId),
      method: { id: method.id, brand: method.brand, last4: method.last4 },
      failureCode: null,
      failureMessage: null,
      nextActionUrl: null,
      amountCaptured: 0,
    };
    switch (method.outcome.kind) {
      case 'succeeds':
        return input.capture ? { ...base, status: 'captured', amountCaptured: input.amount } : { ...base, status: 'authorized' };
      case 'declined':
        return { ...base, status: 'failed', failureCode: method.outcome.code, failureMessage: failureMessageFor(method.outcome.code) };
      case 'requires_action':
        return { ...base, status: 'requires_action', nextActionUrl: `${this.opts.publicUrl()}/v1/demo/authenticate/${input.paymentId}` };
    }
  }

  async capture(providerRef: string): Promise<ProviderPayment> {
    const record = await this.record(providerRef);
    return this.view(providerRef, record, 'captured', record.amount);
  }

  async void(providerRef: string): Promise<ProviderPayment> {
    const record = await this.record(providerRef);
    return this.view(providerRef, record, 'canceled', 0);
  }

  async refund(input: RefundInput): Promise<ProviderRefund> {
    await this.record(input.providerRef);
    return { providerRef: `re_demo_${randomBytes(12).toString('hex')}`, status: 'succeeded' };
  }

  async retrieve(providerRef: string): Promise<ProviderPayment> {
    const record = await this.record(providerRef);
    return this.view(providerRef, record, record.status, record.amountCaptured);
  }

  testCards(): SavedPaymentMethod[] {
    return testCardMethods();
  }

  /** A demo customer exists only in our own table: an id is all there is to make. */
  async createCustomer(): Promise<string> {
    return `cus_demo_${randomBytes(12).toString('hex')}`;
  }

  /** The demo setup page, for the account sealed into its signed link. */
  async createSetupSession(input: SetupSessionInput): Promise<{ url: string; expiresAt: Date }> {
    const token = this.opts.signSetup({ account: input.accountId, returnUrl: input.returnUrl, expiresAt: input.expiresAt });
    return { url: `${this.opts.publicUrl()}/v1/demo/setup/${token}`, expiresAt: input.expiresAt };
  }

  /** The demo setup page saves the chosen card itself; no SetupIntent or event ever names one. */
  async setupMethod(setupIntentRef: string): Promise<MethodSummary> {
    throw new AppError('NOT_FOUND', 'The demo provider has no setup intents.', { setup_intent: setupIntentRef });
  }

  /** A demo card lives only in our own table, which the caller has already changed. */
  async detachMethod(): Promise<void> {}

  async createCheckoutLink(input: CheckoutLinkInput): Promise<ProviderCheckoutLink> {
    const id = `cs_demo_${randomBytes(16).toString('hex')}`;
    return { id, url: `${this.opts.publicUrl()}/v1/demo/checkout/${id}`, expiresAt: input.expiresAt };
  }

  /** A demo link's only state is our own row: the caller closes it there. */
  async expireCheckoutLink(): Promise<'expired'> {
    return 'expired';
  }

  verifyWebhook(rawBody: Buffer, signature: string | undefined): RawWebhook {
    return verifyStripeWebhook(rawBody, signature, this.opts.webhookSecret);
  }

  interpretEvent(payload: unknown): ProviderEvent {
    return interpretStripeEvent(payload);
  }

  private async record(providerRef: string): Promise<DemoRecord> {
    const record = await this.opts.findByRef(providerRef);
    if (!record) throw new AppError('PAYMENT_NOT_FOUND', 'No such payment.', { provider_ref: providerRef });
    return record;
  }

  private view(providerRef: string, record: DemoRecord, status: PaymentStatus, amountCaptured: number): ProviderPayment {
    return { providerRef, status, amountCaptured, method: record.method, failureCode: null, failureMessage: null, nextActionUrl: null };
  }
}
