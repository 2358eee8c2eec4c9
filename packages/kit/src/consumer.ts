import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { EventEnvelope } from '@shop/contracts';
import type { Logger } from './logger.js';
import { ensureEventStream } from './outbox.js';
import { connectionName } from './nats.js';
import { contextFromHeaders, endSpan, errorCode, gauges, metrics, otelContext, secondsSince, SpanKind, tracer, withSpan } from './telemetry.js';

export interface ConsumerOptions {
  nc: NatsConnection;
  prefix: string;
  /** Durable name base: one durable consumer per subject (NATS 2.9 has a single filter subject). */
  durable: string;
  subjects: string[];
  logger: Logger;
  handler: (event: EventEnvelope) => Promise<void>;
}

/** The durable consumer of one subject (unprefixed) for a durable base; NATS permissions name it too. */
export function durableName(base: string, subject: string): string {
  return `${base}_${subject.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * Durable JetStream consumers: a message is acknowledged only after its handler succeeded;
 * a failure is redelivered with a delay. Handlers must be idempotent (see processOnce).
 */
export async function consumeEvents(opts: ConsumerOptions): Promise<{ stop: () => Promise<void> }> {
  const stream = await ensureEventStream(opts.nc, opts.prefix);
  const jsm = await jetstreamManager(opts.nc);
  const js = jetstream(opts.nc);
  const iterators: ConsumerMessages[] = [];
  const loops: Promise<void>[] = [];
  const durables: string[] = [];
  const service = connectionName(opts.nc);
  for (const subject of opts.subjects) {
    const durable = durableName(opts.durable, subject);
    await jsm.consumers
      .add(stream, {
        durable_name: durable,
        filter_subject: opts.prefix + subject,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: 30_000_000_000,
        max_deliver: -1,
      })
      .catch(async (e) => {
        await jsm.consumers.info(stream, durable).catch(() => {
          throw e;
        });
      });
    const consumer = await js.consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: 64 });
    iterators.push(messages);
    // Consumer lag, sampled when Prometheus scrapes (a consumer-info request; the permission to
    // ask it is the one consume() itself needs).
    let info: ReturnType<typeof consumer.info> | undefined;
    const sample = () => (info ??= consumer.info().finally(() => setTimeout(() => (info = undefined), 100).unref()));
    gauges.consumerPending(durable, async () => [{ labels: { consumer: durable }, value: (await sample()).num_pending }]);
    gauges.consumerAckPending(durable, async () => [{ labels: { consumer: durable }, value: (await sample()).num_ack_pending }]);
    durables.push(durable);
    loops.push(
      (async () => {
        for await (const m of messages) {
          let event: EventEnvelope;
          try {
            event = EventEnvelope.parse(m.json());
          } catch {
            opts.logger.error({ subject: m.subject, seq: m.seq }, 'malformed event; terminating it');
            m.term();
            continue;
          }
          // The producer's trace, from the headers the outbox relay set: this span continues it.
          const started = performance.now();
          const parent = contextFromHeaders(m.headers);
          const span = tracer(service).startSpan(`process ${subject}`, { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.message.id': event.id } }, parent);
          const ctx = withSpan(parent, span);
          try {
            await otelContext.with(ctx, () => opts.handler(event));
            m.ack();
            metrics.event.observe(secondsSince(started), subject, 'ok');
            endSpan(span, 'ok');
          } catch (e) {
            metrics.event.observe(secondsSince(started), subject, errorCode(e));
            endSpan(span, errorCode(e), e);
            opts.logger.warn({ err: (e as Error).message, type: event.type, id: event.id, redelivered: m.info.deliveryCount }, 'event handler failed; will redeliver');
            m.nak(Math.min(30_000, 500 * 2 ** Math.min(6, m.info.deliveryCount)));
          }
        }
      })(),
    );
  }
  return {
    stop: async () => {
      for (const d of durables) {
        gauges.consumerPending(d, undefined);
        gauges.consumerAckPending(d, undefined);
      }
      for (const it of iterators) await it.close().catch(() => undefined);
      await Promise.allSettled(loops);
    },
  };
}

/**
 * Runs fn at most once per (consumer, event id), in one transaction with the inbox record,
 * so a redelivered event is recognised and skipped. Returns false when it was a duplicate.
 */
export async function processOnce(pool: pg.Pool, consumer: string, eventId: string, fn: (tx: pg.PoolClient) => Promise<void>): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const inserted = await client.query('insert into inbox (consumer, event_id) values ($1, $2) on conflict do nothing', [consumer, eventId]);
    if (inserted.rowCount === 0) {
      await client.query('rollback');
      return false;
    }
    await fn(client);
    await client.query('commit');
    return true;
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
