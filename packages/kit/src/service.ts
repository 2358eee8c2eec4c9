import { writeFileSync } from 'node:fs';
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

/**
 * A CPU profile of this process from start to shutdown, written as a .cpuprofile (Chrome DevTools,
 * `e2e/src/profile-summary.ts`) when CPU_PROFILE names the file: node 20 refuses --cpu-prof in
 * NODE_OPTIONS, and the launcher starts every process the same way, so the bench asks for it by
 * variable (BENCH_PROFILE). The inspector's sampler runs only then.
 */
async function startCpuProfile(file: string | undefined): Promise<() => Promise<void>> {
  if (!file) return async () => undefined;
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (err: Error | null, result?: unknown) => (err ? reject(err) : resolve(result as T))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => {
    const { profile } = await post<{ profile: unknown }>('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/** Runs a service's start function as a process: graceful shutdown on SIGTERM/SIGINT. */
export function runMain(name: string, start: () => Promise<{ stop: () => Promise<void> }>): void {
  const logger = createLogger(name);
  const profiling = startCpuProfile(process.env.CPU_PROFILE);
  profiling
    .then(() => start())
    .then((running) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        const force = setTimeout(() => process.exit(1), 10_000);
        force.unref();
        running
          .stop()
          .then(
            () => 0,
            () => 1,
          )
          .then(async (code) => {
            await (await profiling)().catch((e: Error) => logger.warn({ err: e.message }, 'CPU profile not written'));
            process.exit(code);
          });
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    })
    .catch((e) => {
      logger.fatal({ err: e }, 'failed to start');
      process.exit(1);
    });
}
