import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { apiCredentials, bootRuntime, closeServer, createHttpApp, finishHttpApp, httpSecurity, listen, runMain, serveEndpoints, stopNatsService, type ServiceRuntime } from '@shop/kit';
import { loadOrdersConfig } from './config.js';
import { orderHandlers } from './bus/handlers.js';
import { startNotifier } from './bus/notifier.js';
import { consumePaymentEvents } from './bus/payment-events.js';
import { mountRoutes } from './http/routes.js';
import { Lifecycle } from './app/lifecycle.js';
import { Placement } from './app/placement.js';
import type { WorkflowContext } from './app/context.js';
import { startSagaRecovery } from './jobs/recover-sagas.js';
import { startRefundIntentSweep } from './jobs/finish-refund-intents.js';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

export async function start(env: Record<string, string | undefined> = process.env): Promise<{ stop: () => Promise<void>; httpUrl: string; runtime: ServiceRuntime }> {
  const config = loadOrdersConfig(env);
  const runtime = await bootRuntime(config.SERVICE_NAME ?? 'orders', config, migrationsDir);
  try {
    const ctx: WorkflowContext = {
      pool: runtime.pool,
      bus: runtime.bus,
      relay: runtime.relay,
      logger: runtime.logger,
      config,
      afterStep: (orderId, step) => {
        if (config.ORDERS_CRASH_AFTER_STEP === step) {
          runtime.logger.warn({ order_id: orderId, step }, 'ORDERS_CRASH_AFTER_STEP: exiting');
          process.exit(137);
        }
      },
    };
    const placement = new Placement(ctx);
    const lifecycle = new Lifecycle(ctx, placement);

    const svc = await serveEndpoints(
      runtime.nc,
      { name: 'orders', version: '0.1.0', description: 'Order placement saga, status, history, cancellation, fulfilment', prefix: config.NATS_PREFIX, logger: runtime.logger },
      orderHandlers(placement, lifecycle),
    );
    runtime.onStop(stopNatsService(svc));

    const notifier = await startNotifier(ctx, runtime.nc);
    runtime.onStop(() => notifier.stop());

    const paymentEvents = await consumePaymentEvents(ctx, runtime.nc, placement, lifecycle);
    runtime.onStop(() => paymentEvents.stop());

    runtime.onStop(startSagaRecovery(ctx, placement).stop);
    runtime.onStop(startRefundIntentSweep(ctx, lifecycle).stop);

    const credentials = apiCredentials(config.API_TOKENS, runtime.name);
    const app = createHttpApp({ logger: runtime.logger, readiness: () => runtime.readiness(), security: httpSecurity(config, runtime.name), metrics: credentials });
    mountRoutes(app, lifecycle, credentials);
    finishHttpApp(app, runtime.logger);
    const server = await listen(app, config.HTTP_PORT, config.HTTP_HOST);
    runtime.onStop(() => closeServer(server));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.HTTP_PORT;
    return { stop: () => runtime.stop(), httpUrl: `http://${config.HTTP_HOST}:${port}`, runtime };
  } catch (e) {
    await runtime.stop();
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain('orders', () => start());
}
