import type { Server } from 'node:http';
import type { Service } from '@nats-io/services';
import type pg from 'pg';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger, type Logger } from './logger.js';
import { createPool, databaseReady, ensureDatabase, migrate } from './db.js';
import { BusClient, connectNats, natsReady } from './nats.js';
import { ensureEventStream, OutboxRelay } from './outbox.js';
import type { BaseConfig } from './config.js';
import { collectProcessMetrics } from './telemetry.js';
import { initTracing } from './tracing.js';

/** What every service process holds: one pool, one NATS connection, one outbox relay. */
export interface ServiceRuntime {
  name: string;
  config: BaseConfig;
  logger: Logger;
  pool: pg.Pool;
  nc: NatsConnection;
  bus: BusClient;
  relay: OutboxRelay;
  /** Resources to close on shutdown, in reverse order of registration. */
  onStop(fn: () => Promise<unknown> | unknown): void;
  stop(): Promise<void>;
  readiness(): Promise<Record<string, boolean>>;
}

export async function bootRuntime(name: string, config: BaseConfig, migrationsDir: string): Promise<ServiceRuntime> {
  const logger = createLogger(name, config.LOG_LEVEL);
  collectProcessMetrics();
  const stopTracing = await initTracing(name, logger);
  await ensureDatabase(config.DATABASE_URL);
  await migrate(config.DATABASE_URL, migrationsDir, logger);
  const pool = createPool(config.DATABASE_URL, config.DB_POOL_MAX, logger);
  const nc = await connectNats(config, name, logger);
  await ensureEventStream(nc, config.NATS_PREFIX, config.NATS_STREAM_REPLICAS);
  const relay = new OutboxRelay({ pool, nc, prefix: config.NATS_PREFIX, logger });
  relay.start();
  const stoppers: Array<() => Promise<unknown> | unknown> = [];
  let stopped: Promise<void> | undefined;
  const runtime: ServiceRuntime = {
    name,
    config,
    logger,
    pool,
    nc,
    bus: new BusClient(nc, config.NATS_PREFIX),
    relay,
    onStop: (fn) => stoppers.push(fn),
    readiness: async () => ({ database: await databaseReady(pool), nats: await natsReady(nc) }),
    stop: () =>
      (stopped ??= (async () => {
        for (const fn of stoppers.reverse()) {
          try {
            await fn();
          } catch (e) {
            logger.warn({ err: (e as Error).message }, 'error while stopping');
          }
        }
        await relay.stop();
        await nc.drain().catch(() => nc.close());
        await pool.end().catch(() => undefined);
        await stopTracing();
      })()),
  };
  return runtime;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

export function stopNatsService(svc: Service): () => Promise<unknown> {
  return () => svc.stop();
}

/** Runs a service's start function as a process: graceful shutdown on SIGTERM/SIGINT. */
export function runMain(name: string, start: () => Promise<{ stop: () => Promise<void> }>): void {
  const logger = createLogger(name);
  start()
    .then((running) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        const force = setTimeout(() => process.exit(1), 10_000);
        force.unref();
        running.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    })
    .catch((e) => {
      logger.fatal({ err: e }, 'failed to start');
      process.exit(1);
    });
}
