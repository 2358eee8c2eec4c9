import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { AppError, endpoint } from '@shop/contracts';
import {
  apiCredentials,
  BaseConfig,
  bootRuntime,
  closeServer,
  consumeEvents,
  createHttpApp,
  finishHttpApp,
  handle,
  listen,
  loadConfig,
  observed,
  processOnce,
  serveEndpoints,
  SpanKind,
  traceHeaders,
  withTransaction,
  writeOutbox,
  type ServiceRuntime,
} from '../src/index.js';
import { freshDatabase, freshPrefix, serviceHeaders, testEnv } from '../src/testing.js';

// Registered before anything runs: every span of this file goes to the in-memory exporter.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

const echo = endpoint('kit.echo', z.object({ n: z.number().int().min(0) }).strict(), z.object({ doubled: z.number() }));
const fail = endpoint('kit.fail', z.object({}), z.object({}));
const store = endpoint('kit.store', z.object({ n: z.number().int() }).strict(), z.object({ id: z.string() }));

/** One sample line of the Prometheus text format, e.g. `name{a="b"} 3`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kit telemetry: /metrics and traces across NATS, PostgreSQL and the outbox', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let rt: ServiceRuntime;
  let server: Server;
  let url: string;
  const handled: string[] = [];

  beforeAll(async () => {
    db = await freshDatabase('kit_telemetry');
    const config = loadConfig(BaseConfig, testEnv(db.url, freshPrefix()));
    rt = await bootRuntime('kit-telemetry', config, mkdtempSync(path.join(os.tmpdir(), 'mig-')));
    const svc = await serveEndpoints(rt.nc, { name: 'kit-telemetry', version: '0.0.1', description: 'test', prefix: config.NATS_PREFIX, logger: rt.logger }, [
      handle(echo, async (req) => {
        await rt.pool.query('select $1::int as n', [req.n]);
        return { doubled: req.n * 2 };
      }),
      handle(fail, async () => {
        throw new AppError('OUT_OF_STOCK', 'Only 2 units available', { available: 2 });
      }),
      handle(store, async (req) => ({ id: await withTransaction(rt.pool, (tx) => writeOutbox(tx, 'evt.kit.stored', { n: req.n })).finally(() => rt.relay.kick()) })),
    ]);
    rt.onStop(() => svc.stop());
    const consumer = await consumeEvents({
      nc: rt.nc,
      prefix: config.NATS_PREFIX,
      durable: 'kit_telemetry',
      subjects: ['evt.kit.stored'],
      logger: rt.logger,
      handler: async (evt) => {
        await processOnce(rt.pool, 'kit_telemetry', evt.id, async () => undefined);
        handled.push(evt.id);
      },
    });
    rt.onStop(() => consumer.stop());
    const app = createHttpApp({ logger: rt.logger, readiness: rt.readiness, metrics: apiCredentials(config.API_TOKENS, 'kit-telemetry') });
    app.get('/v1/things/:id', (_req, res) => {
      res.json({ ok: true });
    });
    finishHttpApp(app, rt.logger);
    server = await listen(app, 0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (server) await closeServer(server);
    await rt?.stop();
    await db?.drop();
    await provider.shutdown();
  });

  const scrape = async () => {
    const res = await fetch(`${url}/metrics`, { headers: serviceHeaders });
    expect(res.status).toBe(200);
    return res.text();
  };

  it('serves /metrics only to a service credential, like the /v1 routes', async () => {
    const none = await fetch(`${url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${url}/metrics`, { headers: serviceHeaders });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
    const text = await ok.text();
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).not.toContain('test-service-token');
  });

  it('counts and times NATS requests on both sides by subject and outcome, and HTTP by route', async () => {
    await rt.bus.call(echo, { n: 1 });
    await rt.bus.call(echo, { n: 2 });
    await expect(rt.bus.call(fail, {})).rejects.toMatchObject({ code: 'OUT_OF_STOCK' });
    await fetch(`${url}/v1/things/abc`);
    await fetch(`${url}/v1/things/def`);
    await fetch(`${url}/nowhere`);
    const text = await scrape();
    expect(sample(text, 'nats_server_request_duration_seconds_count', { subject: 'kit.echo', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'nats_client_request_duration_seconds_count', { subject: 'kit.echo', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'nats_server_request_duration_seconds_count', { subject: 'kit.fail', outcome: 'OUT_OF_STOCK' })).toBe(1);
    expect(sample(text, 'nats_client_request_duration_seconds_count', { subject: 'kit.fail', outcome: 'OUT_OF_STOCK' })).toBe(1);
    // A latency histogram: the +Inf bucket holds every observation.
    expect(sample(text, 'nats_server_request_duration_seconds_bucket', { subject: 'kit.echo', outcome: 'ok', le: '+Inf' })).toBe(2);
    // Routes by their pattern, never the raw path (ids would make a series each).
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/v1/things/:id', status: '200' })).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(text).not.toContain('/v1/things/abc');
  });

  it('reports the pool, the outbox lag and the consumer lag', async () => {
    const database = new URL(db.url).pathname.slice(1);
    let text = await scrape();
    expect(sample(text, 'pg_pool_clients', { pool: database, state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'pg_pool_clients', { pool: database, state: 'waiting' })).toBe(0);
    // The echo handler's queries (and the relay's polling) are counted where they are sent.
    const queries = sample(text, 'pg_queries_total', { pool: database })!;
    await rt.bus.call(echo, { n: 9 });
    expect(sample(await scrape(), 'pg_queries_total', { pool: database })).toBeGreaterThanOrEqual(queries + 1);
    expect(sample(text, 'jetstream_consumer_pending_messages', { consumer: 'kit_telemetry_evt_kit_stored' })).toBe(0);
    expect(sample(text, 'outbox_pending_events', { service: 'kit-telemetry' })).toBe(0);
    // No stream takes this subject, so the relay cannot publish it: the row waits and ages.
    await withTransaction(rt.pool, (tx) => writeOutbox(tx, 'nostream.kit', { n: 1 }));
    await new Promise((r) => setTimeout(r, 1_100));
    text = await scrape();
    expect(sample(text, 'outbox_pending_events', { service: 'kit-telemetry' })).toBe(1);
    expect(sample(text, 'outbox_oldest_pending_seconds', { service: 'kit-telemetry' })).toBeGreaterThanOrEqual(1);
    await rt.pool.query("delete from outbox where subject = 'nostream.kit'");
  });

  it('carries one trace from a caller through NATS into the handler and its queries', async () => {
    expect(traceHeaders()).toBeUndefined();
    exporter.reset();
    await observed('kit-telemetry', 'test root', { kind: SpanKind.INTERNAL }, () => rt.bus.call(echo, { n: 3 }));
    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.name === 'test root')!;
    const byName = (name: string) => spans.filter((s) => s.name === name && s.spanContext().traceId === root.spanContext().traceId);
    const [client] = byName('call kit.echo');
    const [server] = byName('handle kit.echo');
    const [query] = byName('pg select');
    expect(client.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(server.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
    expect(query.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(query.attributes['db.query.text']).toBe('select $1::int as n');
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(server.kind).toBe(SpanKind.SERVER);
  });

  it('continues the trace through the outbox and JetStream into the consumer', async () => {
    exporter.reset();
    const seen = handled.length;
    await observed('kit-telemetry', 'store root', { kind: SpanKind.INTERNAL }, () => rt.bus.call(store, { n: 7 }));
    await waitFor('the event to be handled', async () => (handled.length > seen ? true : undefined));
    const spans = await waitFor('the consumer span', async () => {
      const all = exporter.getFinishedSpans();
      return all.some((s) => s.name === 'process evt.kit.stored') ? all : undefined;
    });
    const root = spans.find((s) => s.name === 'store root')!;
    const one = (name: string): ReadableSpan => {
      const found = spans.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      return found[0];
    };
    const publish = one('publish evt.kit.stored');
    const processed = one('process evt.kit.stored');
    expect(publish.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(processed.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(processed.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(processed.kind).toBe(SpanKind.CONSUMER);
    // The consumer's inbox insert is in the trace too.
    expect(spans.some((s) => s.name === 'pg insert' && s.parentSpanContext?.spanId === processed.spanContext().spanId)).toBe(true);
    // The relay's own polling queries start no traces.
    expect(spans.filter((s) => s.name.startsWith('pg ') && s.spanContext().traceId !== root.spanContext().traceId)).toEqual([]);
  });
});
