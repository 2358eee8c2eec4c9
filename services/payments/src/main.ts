import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { apiCredentials, bootRuntime, closeServer, createHttpApp, finishHttpApp, httpSecurity, listen, readSecret, runMain, serveEndpoints, stopNatsService, type ServiceRuntime } from '@shop/kit';
import { createPaymentsApp, type PaymentsApp } from './app/payments.js';
import { paymentHandlers } from './bus/handlers.js';
import { chosenProvider, loadPaymentsConfig, type PaymentsConfig } from './config.js';
import { findPaymentByRef } from './db/queries.js';
import type { PaymentProvider } from './domain/provider.js';
import { CsrfTokens, mountRoutes, mountWebhook } from './http/routes.js';
import { DemoProvider } from './app/providers/demo.js';
import { createStripeClient, StripeProvider } from './app/providers/stripe.js';
import { SetupCapabilities } from './domain/setup-capability.js';
import { startIntentSweep } from './jobs/intent-sweep.js';
import { startWebhookSweep } from './jobs/webhook-sweep.js';

/** The demo pages' CSRF tokens, for tests that press a page loaded earlier. */
export { CsrfTokens };

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

export interface RunningPayments {
  stop(): Promise<void>;
  httpUrl: string;
  runtime: ServiceRuntime;
  app: PaymentsApp;
}

/** Wraps the provider chosen by configuration; tests may instrument it (e.g. count calls). */
export interface StartOptions {
  wrapProvider?: (provider: PaymentProvider) => PaymentProvider;
}

export async function start(env: Record<string, string | undefined> = process.env, options: StartOptions = {}): Promise<RunningPayments> {
  const config = loadPaymentsConfig(env);
  // Without a configured key (development, tests) links stay valid only while this process runs.
  const csrfKey = readSecret(env, 'PAYMENTS_CSRF_SECRET') ?? randomBytes(32).toString('hex');
  const runtime = await bootRuntime('payments', config, migrationsDir);
  try {
    // The public URL is known only once the server listens (port 0 in tests).
    let publicUrl = config.PUBLIC_URL?.replace(/\/$/, '') ?? '';
    // The setup links' capabilities are signed under the pages' key (a purpose prefix keeps them apart from CSRF tokens).
    const setup = new SetupCapabilities(Buffer.from(csrfKey, 'utf8'));
    const base = buildProvider(config, env, runtime, () => publicUrl, setup);
    const app = createPaymentsApp({
      pool: runtime.pool,
      provider: options.wrapProvider ? options.wrapProvider(base) : base,
      relay: runtime.relay,
      logger: runtime.logger,
      checkoutLinkTtlMinutes: config.CHECKOUT_LINK_TTL_MINUTES,
      intentStaleMs: config.PAYMENTS_INTENT_STALE_MS,
    });

    // Shoppers reach the pages at PUBLIC_URL: its host is accepted and its origin may post the forms.
    const security = httpSecurity(config, runtime.name, config.PUBLIC_URL ? { hosts: [new URL(config.PUBLIC_URL).hostname], origins: [config.PUBLIC_URL] } : {});
    const credentials = apiCredentials(config.API_TOKENS, runtime.name);
    const http = createHttpApp({ logger: runtime.logger, readiness: runtime.readiness, security, beforeJson: (h) => mountWebhook(h, app, runtime.logger), metrics: credentials });
    mountRoutes(http, app, runtime.logger, { credentials, csrf: new CsrfTokens(Buffer.from(csrfKey, 'utf8')), setup });
    finishHttpApp(http, runtime.logger);
    const server = await listen(http, config.HTTP_PORT, config.HTTP_HOST);
    runtime.onStop(() => closeServer(server));
    const port = (server.address() as AddressInfo).port;
    const httpUrl = `http://${config.HTTP_HOST}:${port}`;
    publicUrl ||= `http://127.0.0.1:${port}`;

    const svc = await serveEndpoints(
      runtime.nc,
      { name: 'payments', version: '0.1.0', description: 'Payments: authorise, capture, void, refund, checkout links, saved methods of accounts', prefix: config.NATS_PREFIX, logger: runtime.logger },
      paymentHandlers(app, runtime.logger),
    );
    runtime.onStop(stopNatsService(svc));

    runtime.onStop(startWebhookSweep(app.webhooks, config.WEBHOOK_SWEEP_MS, runtime.logger).stop);
    runtime.onStop(startIntentSweep(app.staleIntents, config.PAYMENTS_INTENT_SWEEP_MS, runtime.logger).stop);

    runtime.logger.info({ httpUrl, provider: base.name }, 'payments started');
    return { stop: () => runtime.stop(), httpUrl, runtime, app };
  } catch (e) {
    await runtime.stop();
    throw e;
  }
}

function buildProvider(config: PaymentsConfig, env: Record<string, string | undefined>, runtime: ServiceRuntime, publicUrl: () => string, setup: SetupCapabilities): PaymentProvider {
  if (chosenProvider(config) === 'stripe') {
    const secretKey = config.STRIPE_SECRET_KEY!;
    const stripe = createStripeClient({
      secretKey,
      host: config.STRIPE_API_HOST,
      port: config.STRIPE_API_PORT,
      protocol: config.STRIPE_API_PROTOCOL,
      maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES,
    });
    return new StripeProvider(stripe, {
      get returnUrl() {
        return `${publicUrl()}/v1/return`;
      },
      get successUrl() {
        return config.CHECKOUT_SUCCESS_URL ?? `${publicUrl()}/v1/return`;
      },
      get cancelUrl() {
        return config.CHECKOUT_CANCEL_URL ?? `${publicUrl()}/v1/return`;
      },
      webhookSecret: config.STRIPE_WEBHOOK_SECRET,
      testMode: secretKey.startsWith('sk_test_') || secretKey.startsWith('rk_test_'),
    });
  }
  // The hang hook exists only in test configuration: NODE_ENV=test and the customer named.
  const hang = env.NODE_ENV === 'test' && config.PAYMENTS_TEST_HANG_CUSTOMER ? { customer: config.PAYMENTS_TEST_HANG_CUSTOMER, ms: config.PAYMENTS_TEST_HANG_MS } : undefined;
  return new DemoProvider({
    publicUrl,
    hang,
    signSetup: (claims) => setup.sign(claims),
    webhookSecret: config.STRIPE_WEBHOOK_SECRET,
    findByRef: async (ref) => {
      const row = await findPaymentByRef(runtime.pool, 'demo', ref);
      return row && { status: row.status, amount: row.amount, amountCaptured: row.amount_captured, method: { id: row.payment_method_id, brand: row.payment_method_brand, last4: row.payment_method_last4 } };
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain('payments', () => start());
}
