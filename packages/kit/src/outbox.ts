import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import type { Logger } from './logger.js';
import { connectionName } from './nats.js';
import { contextFromCarrier, endSpan, errorCode, gauges, metrics, SpanKind, traceCarrier, traceHeaders, tracer, withSpan } from './telemetry.js';
import { eventSchemas, invalidInput, type EventEnvelope, type OutgoingEvent } from '@shop/contracts';

/** The JetStream stream that carries all domain events of one stack (one per subject prefix). */
export function eventStreamName(prefix: string): string {
  return prefix ? `EVENTS_${prefix.replace(/[^A-Za-z0-9_-]/g, '')}` : 'EVENTS';
}

/**
 * Creates the event stream when it is missing, with `replicas` copies (a stream made with fewer,
 * before the stack moved to a cluster, is raised to that number; never lowered).
 */
export async function ensureEventStream(nc: NatsConnection, prefix: string, replicas = 1): Promise<string> {
  const jsm = await jetstreamManager(nc);
  const name = eventStreamName(prefix);
  const config = { name, subjects: [`${prefix}evt.>`], duplicate_window: 120_000_000_000, max_age: 7 * 24 * 3600 * 1_000_000_000, num_replicas: replicas };
  try {
    const info = await jsm.streams.info(name);
    if (info.config.num_replicas < replicas) await jsm.streams.update(name, { ...info.config, num_replicas: replicas });
  } catch {
    try {
      await jsm.streams.add(config);
    } catch (e) {
      // Another service created it in the meantime.
      await jsm.streams.info(name).catch(() => {
        throw e;
      });
    }
  }
  return name;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Records a domain event in the outbox inside the caller's transaction: the event exists if and
 * only if the state change committed. Its data is checked against the event's one schema
 * (contracts' eventSchemas) as it will travel, JSON, so a malformed event fails the transaction
 * instead of reaching consumers.
 */
export async function publishEvent(tx: Queryable, event: OutgoingEvent): Promise<string> {
  const schema = eventSchemas[event.subject];
  const parsed = schema.safeParse(JSON.parse(JSON.stringify(event.data)));
  if (!parsed.success) throw invalidInput(parsed.error, event.subject);
  return writeOutbox(tx, event.subject, parsed.data as Record<string, unknown>);
}

/** The outbox row itself, for any subject; only the relay's own tests write unregistered ones. */
export async function writeOutbox(tx: Queryable, subject: string, data: Record<string, unknown>): Promise<string> {
  const id = randomUUID();
  const envelope: EventEnvelope = { id, type: subject, occurred_at: new Date().toISOString(), data };
  // The trace that caused the event travels with it: the relay publishes it in the message headers.
  const trace = traceCarrier();
  await tx.query('insert into outbox (msg_id, subject, payload, trace_context) values ($1, $2, $3, $4)', [id, subject, JSON.stringify(envelope), trace ? JSON.stringify(trace) : null]);
  return id;
}

export interface RelayOptions {
  pool: pg.Pool;
  nc: NatsConnection;
  prefix: string;
  logger: Logger;
  pollMs?: number;
  batchSize?: number;
}

/**
 * Publishes outbox rows to JetStream in order, at least once (the message id lets JetStream
 * drop duplicates within its window). Failures back off exponentially and are retried forever.
 */
export class OutboxRelay {
  private readonly js: JetStreamClient;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private draining: Promise<void> | undefined;
  private failures = 0;
  private kicked = false;
  /** Another instance held the relay lock on the last round: look again soon, its batch may not include ours. */
  private lockedOut = false;

  private readonly service: string;

  constructor(private readonly opts: RelayOptions) {
    this.js = jetstream(opts.nc);
    this.service = connectionName(opts.nc);
  }

  start(): void {
    this.running = true;
    this.schedule(0);
    // Outbox lag at scrape time: how many rows wait and for how long (one indexed query per scrape).
    let lag: Promise<{ n: number; age: number }> | undefined;
    const sample = () =>
      (lag ??= this.opts.pool
        .query<{ n: number; age: number }>("select count(*)::int as n, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as age from outbox where published_at is null")
        .then((r) => r.rows[0])
        .finally(() => setTimeout(() => (lag = undefined), 100).unref()));
    gauges.outboxPending(this.service, async () => [{ labels: { service: this.service }, value: (await sample()).n }]);
    gauges.outboxAge(this.service, async () => [{ labels: { service: this.service }, value: (await sample()).age }]);
  }

  /** Ask for a drain soon (after a commit that wrote events), without waiting for the poll. */
  kick(): void {
    if (!this.running) return;
    if (this.draining) {
      this.kicked = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    gauges.outboxPending(this.service, undefined);
    gauges.outboxAge(this.service, undefined);
    if (this.timer) clearTimeout(this.timer);
    await this.draining;
  }

  private schedule(ms: number) {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.draining = this.tick().finally(() => {
        this.draining = undefined;
      });
    }, ms);
    this.timer.unref();
  }

  private async tick() {
    let published = 0;
    try {
      published = await this.drainOnce();
      this.failures = 0;
    } catch (e) {
      this.failures++;
      this.opts.logger.warn({ err: (e as Error).message, failures: this.failures }, 'outbox relay failed; will retry');
    }
    const batch = this.opts.batchSize ?? 100;
    const again = this.kicked || published >= batch;
    this.kicked = false;
    const backoff = this.failures ? Math.min(5_000, 100 * 2 ** this.failures) : again ? 0 : this.lockedOut ? 50 : (this.opts.pollMs ?? 500);
    this.schedule(backoff);
  }

  /**
   * Publishes one batch; returns how many rows were published. With several instances of a
   * service, one relay at a time publishes a database's outbox (a transaction-scoped advisory
   * lock; the others skip the round): events leave in outbox order, which SKIP LOCKED alone would
   * not keep across instances. A relay that dies mid-batch releases the lock with its connection;
   * rows it published but did not mark go out again under the same Nats-Msg-Id, and JetStream
   * drops them as duplicates.
   */
  async drainOnce(): Promise<number> {
    const client = await this.opts.pool.connect();
    try {
      await client.query('begin');
      const lock = await client.query<{ got: boolean }>("select pg_try_advisory_xact_lock(hashtext('kit.outbox_relay')) as got");
      this.lockedOut = !lock.rows[0].got;
      if (this.lockedOut) {
        await client.query('rollback');
        return 0;
      }
      const { rows } = await client.query<{ id: number; msg_id: string; subject: string; payload: unknown; trace_context: Record<string, string> | null }>(
        'select id, msg_id, subject, payload, trace_context from outbox where published_at is null order by id limit $1 for update skip locked',
        [this.opts.batchSize ?? 100],
      );
      const done: number[] = [];
      let failure: Error | undefined;
      for (const row of rows) {
        try {
          await this.publish(row);
          done.push(row.id);
        } catch (e) {
          failure = e as Error;
          await client.query('update outbox set attempts = attempts + 1, last_error = $2 where id = $1', [row.id, failure.message.slice(0, 500)]);
          break; // keep order: later events wait for this one
        }
      }
      if (done.length) await client.query('update outbox set published_at = now() where id = any($1::bigint[])', [done]);
      await client.query('commit');
      metrics.outboxPublished.inc(done.length);
      if (failure) throw failure;
      return done.length;
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /** One row to JetStream; a traced row gets a producer span in its trace, carried in the headers. */
  private async publish(row: { msg_id: string; subject: string; payload: unknown; trace_context: Record<string, string> | null }): Promise<void> {
    const data = JSON.stringify(row.payload);
    if (!row.trace_context) {
      await this.js.publish(this.opts.prefix + row.subject, data, { msgID: row.msg_id, timeout: 2_000 });
      return;
    }
    const parent = contextFromCarrier(row.trace_context);
    const span = tracer(this.service).startSpan(`publish ${row.subject}`, { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': row.subject, 'messaging.message.id': row.msg_id } }, parent);
    try {
      const headers = traceHeaders(withSpan(parent, span));
      await this.js.publish(this.opts.prefix + row.subject, data, { msgID: row.msg_id, timeout: 2_000, ...(headers ? { headers } : {}) });
      endSpan(span, 'ok');
    } catch (e) {
      endSpan(span, errorCode(e), e);
      throw e;
    }
  }
}
