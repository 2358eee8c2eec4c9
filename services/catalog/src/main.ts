import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Express } from 'express';
import { apiCredentials, bootRuntime, closeServer, createHttpApp, finishHttpApp, httpSecurity, listen, runMain, serveEndpoints, stopNatsService, type ServiceRuntime } from '@shop/kit';
import { loadCatalogConfig } from './config.js';
import { Catalog } from './app/catalog.js';
import { sampleFeed } from './domain/feed.js';
import { seedIfEmpty } from './db/seed.js';
import { catalogHandlers } from './bus/handlers.js';
import { mountRoutes } from './http/routes.js';
import { startReservationExpiry } from './jobs/expire-reservations.js';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

export interface RunningCatalog {
  stop(): Promise<void>;
  httpUrl: string;
  runtime: ServiceRuntime;
  app: Express;
  catalog: Catalog;
}

export async function start(env: Record<string, string | undefined> = process.env): Promise<RunningCatalog> {
  const config = loadCatalogConfig(env);
  const runtime = await bootRuntime(config.SERVICE_NAME ?? 'catalog', config, migrationsDir);
  try {
    let imageBaseUrl = config.IMAGE_BASE_URL?.replace(/\/$/, '') ?? '';
    const catalog = new Catalog(config, runtime.pool, () => imageBaseUrl, () => runtime.relay.kick());
    if (config.CATALOG_SEED === 'sample') {
      const outcome = await seedIfEmpty(runtime.pool, sampleFeed());
      if (outcome.seeded) runtime.logger.info(outcome, 'seeded the sample catalogue');
    }
    await catalog.categories.refresh();

    const credentials = apiCredentials(config.API_TOKENS, runtime.name);
    const app = createHttpApp({ logger: runtime.logger, readiness: () => runtime.readiness(), security: httpSecurity(config, runtime.name), metrics: credentials });
    mountRoutes(app, catalog, credentials);
    finishHttpApp(app, runtime.logger);
    const server = await listen(app, config.HTTP_PORT, config.HTTP_HOST);
    runtime.onStop(() => closeServer(server));
    const { port } = server.address() as AddressInfo;
    const host = ['0.0.0.0', '::'].includes(config.HTTP_HOST) ? '127.0.0.1' : config.HTTP_HOST;
    const httpUrl = `http://${host}:${port}`;
    if (!imageBaseUrl) imageBaseUrl = `${httpUrl}/v1/images`;

    const svc = await serveEndpoints(
      runtime.nc,
      { name: 'catalog', version: '0.1.0', description: 'Products, search, stock and reservations', prefix: config.NATS_PREFIX, logger: runtime.logger },
      catalogHandlers(catalog),
    );
    runtime.onStop(stopNatsService(svc));
    runtime.onStop(startReservationExpiry(catalog.reservations, config.RESERVATION_SWEEP_MS, runtime.logger).stop);
    return { stop: () => runtime.stop(), httpUrl, runtime, app, catalog };
  } catch (e) {
    await runtime.stop();
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runMain('catalog', () => start());
