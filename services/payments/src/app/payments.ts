import type { PaymentProvider } from '../domain/provider.js';
import { Charges } from './charges.js';
import { CheckoutLinks } from './checkout-links.js';
import { Refunds } from './refunds.js';
import { SavedMethods } from './saved-methods.js';
import { ProviderCalls, type PaymentsContext } from './shared.js';
import { StaleIntents } from './stale-intents.js';
import { Webhooks } from './webhooks.js';

/** What the use cases share, but for the in-flight provider calls, which the app makes itself. */
export interface PaymentsAppOptions extends Omit<PaymentsContext, 'calls'> {
  checkoutLinkTtlMinutes: number;
  /** A provider call not recorded this long after it was claimed is finished by the sweep (or a retry). */
  intentStaleMs: number;
}

/** The payments use cases, one module each, over one pool, provider and set of in-flight provider calls. */
export interface PaymentsApp {
  provider: PaymentProvider;
  charges: Charges;
  refunds: Refunds;
  checkoutLinks: CheckoutLinks;
  webhooks: Webhooks;
  staleIntents: StaleIntents;
  methods: SavedMethods;
}

export function createPaymentsApp(opts: PaymentsAppOptions): PaymentsApp {
  const ctx: PaymentsContext = { pool: opts.pool, provider: opts.provider, relay: opts.relay, logger: opts.logger, calls: new ProviderCalls(opts.intentStaleMs) };
  const methods = new SavedMethods(opts.pool, opts.provider, opts.logger);
  const charges = new Charges(ctx, methods);
  const refunds = new Refunds(ctx);
  const checkoutLinks = new CheckoutLinks(ctx, opts.checkoutLinkTtlMinutes);
  return {
    provider: opts.provider,
    charges,
    refunds,
    checkoutLinks,
    webhooks: new Webhooks(ctx, checkoutLinks),
    staleIntents: new StaleIntents(ctx, charges, refunds, checkoutLinks),
    methods,
  };
}
