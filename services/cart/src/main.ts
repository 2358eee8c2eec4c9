import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { apiCredentials, bootRuntime, closeServer, createHttpApp, finishHttpApp, httpSecurity, listen, runMain } from '@shop/kit';
import { idleSeconds, loadCartConfig } from './config.js';
import { CartService } from './cart-service.js';
import { consumeOrderEvents, serveCartApi } from './bus/handlers.js';
import { mountCartRoutes } from './http/routes.js';
import { startIdleSweep } from './bus/sweep.js';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

export async function start(env: Record<string, string | undefined> = process.env) {
  const config = loadCartConfig(env);
  const runtime = await bootRuntime(config.SERVICE_NAME, config, migrationsDir);
  try {
    const carts = new CartService({ pool: runtime.pool, bus: runtime.bus, relay: runtime.relay });
    const svc = await serveCartApi(runtime, carts);
    runtime.onStop(() => svc.stop());
    const consumer = await consumeOrderEvents(runtime, carts);
    runtime.onStop(() => consumer.stop());
    const sweep = startIdleSweep(runtime, carts, { idleSeconds: idleSeconds(config), intervalMs: config.CART_SWEEP_INTERVAL_MS });
    runtime.onStop(() => sweep.stop());
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
