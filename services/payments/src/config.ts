import { z } from 'zod';
import { BaseConfig, loadConfig } from '@shop/kit';

const OptionalText = z.string().trim().min(1).optional();

export const PaymentsConfig = BaseConfig.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(4104),
  PAYMENTS_PROVIDER: z.enum(['demo', 'stripe']).optional(),
  STRIPE_SECRET_KEY: OptionalText,
  STRIPE_WEBHOOK_SECRET: OptionalText,
  /** Test-only override: points the Stripe SDK at a local server. */
  STRIPE_API_HOST: OptionalText,
  STRIPE_API_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
  STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  /**
   * Key of the demo pages' CSRF tokens (an HMAC of the checkout or payment id), or
   * PAYMENTS_CSRF_SECRET_FILE; unset outside production: a random key per process.
   */
  PAYMENTS_CSRF_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  PAYMENTS_CSRF_SECRET_FILE: z.string().min(1).optional(),
  /** Base URL of this service for the demo pages; defaults to http://127.0.0.1:<listening port>. */
  PUBLIC_URL: z.string().url('must be a URL').optional(),
  CHECKOUT_SUCCESS_URL: z.string().url('must be a URL').optional(),
  CHECKOUT_CANCEL_URL: z.string().url('must be a URL').optional(),
  CHECKOUT_LINK_TTL_MINUTES: z.coerce.number().int().min(30).max(24 * 60).default(60),
  /** How often webhook events that were recorded but not yet processed are retried. */
  WEBHOOK_SWEEP_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** A provider call whose answer was not recorded this long after it began is asked again (same idempotency key). */
  PAYMENTS_INTENT_STALE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  /** How often such stale intents are looked for. */
  PAYMENTS_INTENT_SWEEP_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /**
   * Fault tests only, and read only when NODE_ENV=test: the demo provider holds every authorisation
   * for this customer PAYMENTS_TEST_HANG_MS before answering (a hung provider).
   */
  PAYMENTS_TEST_HANG_CUSTOMER: OptionalText,
  PAYMENTS_TEST_HANG_MS: z.coerce.number().int().min(1).max(120_000).default(30_000),
}).superRefine((c, ctx) => {
  if (c.PAYMENTS_PROVIDER === 'stripe' && !c.STRIPE_SECRET_KEY) {
    ctx.addIssue({ code: 'custom', path: ['STRIPE_SECRET_KEY'], message: 'is required when PAYMENTS_PROVIDER=stripe' });
  }
});
export type PaymentsConfig = z.infer<typeof PaymentsConfig>;

export function loadPaymentsConfig(env: Record<string, string | undefined>): PaymentsConfig {
  return loadConfig(PaymentsConfig, env, { productionSecrets: ['API_TOKENS', 'PAYMENTS_CSRF_SECRET'] });
}

/** demo unless a Stripe key is set; an explicit PAYMENTS_PROVIDER wins. */
export function chosenProvider(config: PaymentsConfig): 'demo' | 'stripe' {
  return config.PAYMENTS_PROVIDER ?? (config.STRIPE_SECRET_KEY ? 'stripe' : 'demo');
}
