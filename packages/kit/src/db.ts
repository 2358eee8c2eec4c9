import { createHash } from 'node:crypto';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Logger } from './logger.js';
import { AppError, toAppError } from '@shop/contracts';
import { gauges, metrics, otelContext, otelTrace, SpanKind, SpanStatusCode, tracer } from './telemetry.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// Postgres returns bigint (int8) as text by default; our counts and cents fit safely in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));
// numeric stays text on purpose (ratings are converted where read); dates come back as Date.

export function createPool(url: string, max = 10, logger?: Logger): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', (err) => logger?.warn({ err: err.message }, 'idle database client error'));
  // Nor a checked-out one between queries (inside a transaction, during a NATS call): the pool only
  // listens while a client is idle, and an unheard 'error' event kills the process. The broken
  // client is no longer queryable, so the pool drops it on release.
  const database = databaseName(url);
  // Queries are counted once, where they are sent: the pool's query runs a client's.
  const sent = metrics.pgQueries.cell(database);
  pool.on('connect', (client) => {
    client.on('error', (err) => logger?.warn({ err: err.message }, 'database client error'));
    prepareQueries(client);
    traceQueries(client, database, sent);
  });
  traceQueries(pool, database);
  observePool(pool, database);
  return pool;
}

let poolSeq = 0;
/** pg_pool_clients{pool} while the pool is open: sampled at scrape time, nothing on the query path. */
function observePool(pool: pg.Pool, database: string): void {
  // Two pools on one database (tests, a migration pool) keep separate series.
  const key = `${database}#${++poolSeq}`;
  const label = poolSeq === 1 ? database : key;
  gauges.pool(key, () => [
    { labels: { pool: label, state: 'total' }, value: pool.totalCount },
    { labels: { pool: label, state: 'idle' }, value: pool.idleCount },
    { labels: { pool: label, state: 'waiting' }, value: pool.waitingCount },
  ]);
  const end = pool.end.bind(pool);
  pool.end = ((cb?: () => void) => {
    gauges.pool(key, undefined);
    return cb ? end(cb) : end();
  }) as pg.Pool['end'];
}

function databaseName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
  } catch {
    return 'postgres';
  }
}

const statementNames = new Map<string, string>();

/** The prepared statement's name for a query text: the same text gets the same name in every connection. */
export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `s_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Every query with parameters runs as a prepared statement of this connection, named by its text:
 * PostgreSQL parses and plans it once per connection instead of on every call (the hot paths send
 * the same few dozen statements all day). A query that names itself keeps its name; one without
 * parameters ('begin', 'commit', migrations' multi-statement scripts) goes as it is, in the simple
 * protocol.
 */
function prepareQueries(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const first = args[0];
    if (typeof first === 'string') {
      const values = args[1];
      if (Array.isArray(values) && values.length) return query({ name: statementName(first), text: first, values }, ...args.slice(2));
    } else if (typeof first === 'object' && first !== null) {
      const config = first as { name?: string; text?: string; values?: unknown[]; submit?: unknown };
      if (!config.name && typeof config.submit !== 'function' && typeof config.text === 'string' && config.values?.length) {
        return query({ ...config, name: statementName(config.text) }, ...args.slice(1));
      }
    }
    return query(...args);
  };
}

/**
 * A client span per query, only inside a traced operation: the relay's and sweeps' polling are not
 * worth a trace of their own, and an untraced query costs one property read. Both the pool's
 * query (which runs its client's in callback form) and a checked-out client's are wrapped;
 * callback and submittable (cursor) forms pass through untouched. The span carries the statement
 * text (with its $n placeholders: values never leave the process).
 */
function traceQueries(target: { query: unknown }, database: string, sent?: { n: number }): void {
  const query = (target.query as (...args: unknown[]) => unknown).bind(target);
  target.query = (...args: unknown[]) => {
    if (sent) sent.n++;
    const ctx = otelContext.active();
    const first = args[0] as { text?: string; submit?: unknown } | string | undefined;
    if (!otelTrace.getSpan(ctx)?.isRecording() || typeof args[args.length - 1] === 'function' || (typeof first === 'object' && first !== null && typeof first.submit === 'function')) return query(...args);
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    const operation = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase() ?? 'query';
    const span = tracer('pg').startSpan(`pg ${operation}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.namespace': database, 'db.operation.name': operation, 'db.query.text': text.slice(0, 1000) } }, ctx);
    return (query(...args) as Promise<unknown>).then(
      (result) => {
        span.end();
        return result;
      },
      (e: unknown) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: String((e as Error)?.message ?? e).slice(0, 200) });
        span.end();
        throw e;
      },
    );
  };
}

/** Creates the database named in url when it does not exist (connects to the server's `postgres` db). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name "${name}" must be a lower-case identifier`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`create database "${name}"`);
      } catch (e) {
        // Two processes racing to create the same database: the loser sees duplicate_database.
        if ((e as { code?: string }).code !== '42P04' && (e as { code?: string }).code !== '23505') throw e;
      }
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}

const kitMigrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

/**
 * Runs the kit's own migrations (outbox, inbox) and then the service's SQL migrations
 * (node-pg-migrate, files `<timestamp>_<name>.sql` with `-- Up Migration` / `-- Down Migration`).
 */
export async function migrate(url: string, serviceMigrationsDir: string, logger?: Logger): Promise<void> {
  const log = (msg: string) => logger?.debug(msg);
  const common = {
    databaseUrl: url,
    direction: 'up' as const,
    singleTransaction: true,
    checkOrder: true,
    verbose: false,
    // Several instances may start at once: the second waits for the first's migrations.
    advisoryLockMode: 'wait' as const,
    logger: { debug: log, info: log, warn: (m: string) => logger?.warn(m), error: (m: string) => logger?.error(m) },
  };
  await runner({ ...common, dir: kitMigrationsDir, migrationsTable: 'kit_migrations' });
  await runner({ ...common, dir: serviceMigrationsDir, migrationsTable: 'service_migrations' });
}

/** Runs fn in a transaction; rolls back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await connectOrUnavailable(pool);
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** What a caller is told while the database cannot be reached: a clear, retryable UNAVAILABLE error. */
export function databaseUnavailable(): AppError {
  return new AppError('UNAVAILABLE', 'The store is temporarily unavailable. Please try again in a moment.');
}

/** A pool checkout that reports a database outage as a clear, retryable UNAVAILABLE error. */
export async function connectOrUnavailable(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch {
    throw databaseUnavailable();
  }
}

/**
 * Maps anything a handler threw to the AppError its caller gets: a lost database connection is the
 * retryable UNAVAILABLE (the same request succeeds once the database is back), never INTERNAL.
 */
export function toServiceError(e: unknown): AppError {
  return !(e instanceof AppError) && isConnectionError(e) ? databaseUnavailable() : toAppError(e);
}

/** Database liveness for /readyz. */
export async function databaseReady(pool: pg.Pool): Promise<boolean> {
  try {
    await pool.query('select 1');
    return true;
  } catch {
    return false;
  }
}

/**
 * Driver errors that mean "the database is not reachable right now". Under Docker, a stopped
 * database container's name stops resolving (ENOTFOUND, EAI_AGAIN) and a cut network gives
 * EHOSTUNREACH: the same outage as a refused connection.
 */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? '';
  const message = (e as { message?: string })?.message ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001'].includes(code) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable/i.test(message)
  );
}
