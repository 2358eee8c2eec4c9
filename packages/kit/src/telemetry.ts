import client from 'prom-client';
import { context, isSpanContextValid, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { RequestHandler } from 'express';

/**
 * Metrics and traces shared by every process.
 *
 * Metrics: one prom-client registry per process (Prometheus scrapes a process; its `job` and
 * `instance` labels say which), exposed on `/metrics` behind the service credential (see
 * createHttpApp). Histograms carry their own `_count`, so one per hop gives both rate and latency.
 *
 * Traces: the OpenTelemetry API only. Without a registered tracer provider (no
 * OTEL_EXPORTER_OTLP_ENDPOINT) every span is the API's non-recording one and nothing is injected
 * into NATS headers, so the hot path pays a few property reads; initTracing registers an SDK
 * provider with an OTLP/HTTP exporter when the variable is set. Tests register their own provider
 * (an in-memory exporter) the same way.
 */
export const metricsRegistry = new client.Registry();
let processMetrics = false;

/** Seconds; from half a millisecond (a cached read) to ten seconds (a bus timeout). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A Prometheus histogram kept by hand and registered with the registry as a metric: prom-client's
 * own validates and hashes the label object on every observation (about 1.5 µs, more than the rest
 * of a hop's instrumentation together); here an observation is a map lookup, a bucket scan and
 * three additions. The exposition is the standard `_bucket{le}` (cumulative), `_sum`, `_count`.
 */
interface Series {
  labels: Record<string, string>;
  buckets: number[];
  sum: number;
  count: number;
}

class LatencyHistogram {
  private series: Series[] = [];
  private index = new Map<string, Map<string, Map<string, Series>>>();
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: [string, ...string[]],
  ) {
    metricsRegistry.registerMetric(this as unknown as client.Metric);
  }
  /** Up to three label values, in labelNames order (no rest array, no joined key: this runs per hop). */
  observe(seconds: number, a: string, b = '', c = ''): void {
    let level1 = this.index.get(a);
    if (!level1) this.index.set(a, (level1 = new Map()));
    let level2 = level1.get(b);
    if (!level2) level1.set(b, (level2 = new Map()));
    let entry = level2.get(c);
    if (!entry) {
      const values = [a, b, c];
      entry = { labels: Object.fromEntries(this.labelNames.map((n, i) => [n, values[i]])), buckets: new Array<number>(LATENCY_BUCKETS.length).fill(0), sum: 0, count: 0 };
      level2.set(c, entry);
      this.series.push(entry);
    }
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    if (i < LATENCY_BUCKETS.length) entry.buckets[i]++;
    entry.sum += seconds;
    entry.count++;
  }
  get() {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const { labels, buckets, sum, count } of this.series) {
      let acc = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        acc += buckets[i];
        values.push({ labels: { ...labels, le }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
  reset(): void {
    this.series = [];
    this.index = new Map();
  }
}

/** A counter per label value kept by hand, for the same reason as LatencyHistogram (an increment per query). */
class LabelledCounter {
  private readonly counts = new Map<string, { n: number }>();
  readonly type = 'counter';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
  ) {
    metricsRegistry.registerMetric(this as unknown as client.Metric);
  }
  /** The cell for one label value: increment its `n` directly on the hot path. */
  cell(value: string): { n: number } {
    let c = this.counts.get(value);
    if (!c) this.counts.set(value, (c = { n: 0 }));
    return c;
  }
  get() {
    const values = [...this.counts].map(([v, c]) => ({ labels: { [this.labelName]: v }, value: c.n }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
  reset(): void {
    this.counts.clear();
  }
}

/** The process's hop metrics. `outcome` is `ok` or the contracts' error code (a closed set). */
export const metrics = {
  natsServer: new LatencyHistogram('nats_server_request_duration_seconds', 'NATS requests this process answered, by subject (without the stack prefix) and outcome', ['subject', 'outcome']),
  natsClient: new LatencyHistogram('nats_client_request_duration_seconds', 'NATS requests this process made, by subject (without the stack prefix) and outcome, reply parsed', ['subject', 'outcome']),
  tool: new LatencyHistogram('mcp_tool_call_duration_seconds', 'MCP tool calls, by tool and outcome', ['tool', 'outcome']),
  http: new LatencyHistogram('http_request_duration_seconds', 'HTTP requests, by method, matched route and status', ['method', 'route', 'status']),
  event: new LatencyHistogram('event_handler_duration_seconds', 'Domain events consumed from JetStream, by subject and outcome', ['subject', 'outcome']),
  pgQueries: new LabelledCounter('pg_queries_total', 'PostgreSQL queries sent, by pool (the database name)', 'pool'),
  catalogCache: new LabelledCounter('catalog_cache_lookups_total', "Look-ups in the cart's catalogue cache of a product or variant, by result (hit, miss)", 'result'),
  outboxPublished: new client.Counter({ name: 'outbox_published_total', help: 'Outbox rows the relay published to JetStream', registers: [metricsRegistry] }),
};

/** Process CPU, memory, event-loop delay and GC: prom-client's default set, once per process. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  client.collectDefaultMetrics({ register: metricsRegistry });
}

/**
 * Gauges read when Prometheus scrapes: each source registers a sampler under a key (a pool, a
 * relay, a consumer) and removes it when it stops. A sampler that fails or takes longer than a
 * second is left out of that scrape instead of failing it.
 */
type Sample = Array<{ labels: Record<string, string>; value: number }>;
const samplers = new Map<string, Map<string, () => Promise<Sample> | Sample>>();

function sampledGauge(name: string, help: string, labelNames: string[]): (key: string, sampler: (() => Promise<Sample> | Sample) | undefined) => void {
  const own = new Map<string, () => Promise<Sample> | Sample>();
  samplers.set(name, own);
  new client.Gauge({
    name,
    help,
    labelNames,
    registers: [metricsRegistry],
    async collect() {
      this.reset();
      const results = await Promise.all(
        [...own.values()].map((s) =>
          Promise.race([Promise.resolve().then(s), new Promise<Sample>((resolve) => setTimeout(() => resolve([]), 1_000).unref())]).catch((): Sample => []),
        ),
      );
      for (const sample of results) for (const { labels, value } of sample) this.set(labels, value);
    },
  });
  return (key, sampler) => (sampler ? own.set(key, sampler) : own.delete(key));
}

export const gauges = {
  pool: sampledGauge('pg_pool_clients', 'PostgreSQL pool clients by state: total (open), idle, waiting (callers queued for a client)', ['pool', 'state']),
  outboxPending: sampledGauge('outbox_pending_events', 'Outbox rows not yet published to JetStream', ['service']),
  outboxAge: sampledGauge('outbox_oldest_pending_seconds', 'Age of the oldest unpublished outbox row (0 when none)', ['service']),
  consumerPending: sampledGauge('jetstream_consumer_pending_messages', 'Messages in the stream this durable consumer has not been delivered yet (num_pending)', ['consumer']),
  consumerAckPending: sampledGauge('jetstream_consumer_ack_pending_messages', 'Messages delivered to this durable consumer and not yet acknowledged', ['consumer']),
};

/** The Prometheus text exposition of this process's registry. */
export function metricsHandler(): RequestHandler {
  return async (_req, res, next) => {
    try {
      const body = await metricsRegistry.metrics();
      res.set('Content-Type', metricsRegistry.contentType).set('Cache-Control', 'no-store').send(body);
    } catch (e) {
      next(e);
    }
  };
}

/** Seconds since a performance.now() reading. */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}

// ---- traces ----

/** Spans are named after the process: the instrumentation scope says which service made them. */
export function tracer(service: string) {
  return trace.getTracer(service);
}

/** True when the active context carries a span an SDK records (a provider is registered and sampled it). */
export function tracingActive(ctx: Context = context.active()): boolean {
  return trace.getSpan(ctx)?.isRecording() ?? false;
}

/**
 * True when span belongs to a trace, sampled or not: its context is passed on either way, so a
 * downstream service honours the caller's sampling decision (parent-based) instead of starting a
 * trace of its own. Without a provider, spans have no valid context and nothing travels.
 */
export function inTrace(span: Span | undefined): boolean {
  return span !== undefined && isSpanContextValid(span.spanContext());
}

/** parent with span as its active span, when span is part of a trace; parent itself otherwise (no allocation). */
export function withSpan(parent: Context, span: Span): Context {
  return inTrace(span) ? trace.setSpan(parent, span) : parent;
}

const hdrSetter: TextMapSetter<MsgHdrs> = { set: (carrier, key, value) => carrier.set(key, value) };
const hdrGetter: TextMapGetter<MsgHdrs> = {
  get: (carrier, key) => carrier.get(key) || undefined,
  keys: (carrier) => carrier.keys(),
};

/** NATS headers carrying ctx's trace (W3C traceparent/tracestate); undefined when nothing is traced. */
export function traceHeaders(ctx: Context = context.active()): MsgHdrs | undefined {
  if (!inTrace(trace.getSpan(ctx))) return undefined;
  const h = natsHeaders();
  propagation.inject(ctx, h, hdrSetter);
  return h;
}

/** The trace a NATS message's headers carry, as a parent context (the active one when none). */
export function contextFromHeaders(h: MsgHdrs | undefined): Context {
  return h ? propagation.extract(context.active(), h, hdrGetter) : context.active();
}

/** ctx's trace as a plain object (the outbox stores it with the event); undefined when nothing is traced. */
export function traceCarrier(ctx: Context = context.active()): Record<string, string> | undefined {
  if (!inTrace(trace.getSpan(ctx))) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

export function contextFromCarrier(carrier: Record<string, string> | null | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active();
}

/** Ends span with an error status when failed; `outcome` is kept as an attribute either way. */
export function endSpan(span: Span, outcome: string, error?: unknown): void {
  if (span.isRecording()) {
    span.setAttribute('shop.outcome', outcome);
    if (outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message.slice(0, 200) : outcome });
  }
  span.end();
}

export { SpanKind, SpanStatusCode, context as otelContext, trace as otelTrace };

/**
 * Runs fn under a span of `service` named `name`, parented on `parent`, and records its duration
 * in `hist` with `labels` plus the outcome outcomeOf gives (thrown errors: their code or `error`).
 */
export async function observed<T>(
  service: string,
  name: string,
  opts: { kind: SpanKind; parent?: Context; attributes?: Record<string, string | number>; hist?: LatencyHistogram; labels?: string[]; outcomeOf?: (r: T) => string },
  fn: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const parent = opts.parent ?? context.active();
  const span = tracer(service).startSpan(name, { kind: opts.kind, attributes: opts.attributes }, parent);
  const ctx = withSpan(parent, span);
  try {
    const result = await context.with(ctx, fn);
    const outcome = opts.outcomeOf ? opts.outcomeOf(result) : 'ok';
    opts.hist?.observe(secondsSince(started), ...labelsWith(opts.labels, outcome));
    endSpan(span, outcome);
    return result;
  } catch (e) {
    const outcome = errorCode(e);
    opts.hist?.observe(secondsSince(started), ...labelsWith(opts.labels, outcome));
    endSpan(span, outcome, e);
    throw e;
  }
}

function labelsWith(labels: string[] | undefined, outcome: string): [string, string?, string?] {
  return [...(labels ?? []), outcome] as unknown as [string, string?, string?];
}

/** The stable code of a thrown AppError (or `error` for anything else): a bounded label value. */
export function errorCode(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^[A-Z][A-Z_]{1,40}$/.test(code) ? code : 'error';
}

export type { LatencyHistogram };
