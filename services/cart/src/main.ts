import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { apiCredentials, bootRuntime, closeServer, createHttpApp, finishHttpApp, httpSecurity, listen, runMain, serveEndpoints, stopNatsService } from '@shop/kit';
import { idleSeconds, loadCartConfig } from './config.js';
import { Carts } from './app/carts.js';
import { CouponReservations } from './app/coupon-reservations.js';
import { cartHandlers, consumeOrderEvents } from './bus/handlers.js';
import { listenToCatalogEvents } from './bus/catalog-events.js';
import { CatalogCache } from './app/catalog-cache.js';
import { mountCartRoutes } from './http/routes.js';
import { startIdleSweep } from './jobs/idle-sweep.js';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

export async function start(env: Record<string, string | undefined> = process.env) {
  const config = loadCartConfig(env);
  const runtime = await bootRuntime(config.SERVICE_NAME, config, migrationsDir);
  try {
    const catalogCache = new CatalogCache(config.CART_CATALOG_CACHE_MS);
    runtime.onStop(listenToCatalogEvents(runtime.nc, config.NATS_PREFIX, catalogCache, runtime.logger));
    const carts = new Carts({ pool: runtime.pool, bus: runtime.bus, relay: runtime.relay, catalogCache });
    const coupons = new CouponReservations(runtime.pool);
    const svc = await serveEndpoints(
      runtime.nc,
      { name: 'cart', version: '0.1.0', description: 'Carts, lines, coupons and checkout details', prefix: config.NATS_PREFIX, logger: runtime.logger },
      cartHandlers(carts, coupons),
    );
    runtime.onStop(stopNatsService(svc));
    const consumer = await consumeOrderEvents(runtime, carts);
    runtime.onStop(() => consumer.stop());
    runtime.onStop(startIdleSweep(carts, { idleSeconds: idleSeconds(config), everyMs: config.CART_SWEEP_INTERVAL_MS, logger: runtime.logger }).stop);
    const credentials = apiCredentials(config.API_TOKENS, config.SERVICE_NAME);
    const app = createHttpApp({ logger: runtime.logger, readiness: runtime.readiness, security: httpSecurity(config, config.SERVICE_NAME), metrics: credentials });
    mountCartRoutes(app, carts, credentials);
    finishHttpApp(app, runtime.logger);
    const server = await listen(app, config.HTTP_PORT, config.HTTP_HOST);
    runtime.onStop(() => closeServer(server));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.HTTP_PORT;
    return { stop: () => runtime.stop(), httpUrl: `http://${config.HTTP_HOST}:${port}`, runtime, carts };
  } catch (e) {
    await runtime.stop();
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain('cart', () => start());
}
