/**
 * What the kit's instrumentation costs on the hot path (`node e2e/dist/src/telemetry-cost.js`):
 * 1. the per-hop work added when no tracer provider is registered (the default: no
 *    OTEL_EXPORTER_OTLP_ENDPOINT): a histogram observation, a non-recording span and its checks,
 *    timed in a tight loop;
 * 2. the CPU of one NATS request/reply through BusClient and serveEndpoints with a PostgreSQL query
 *    in the handler, untraced and traced (an SDK provider, every span sampled, batched to an
 *    exporter that drops them), as this process's CPU per call over sequential calls.
 * Uses the NATS and PostgreSQL servers of the tests (NATS_URL, TEST_DATABASE_URL or their defaults).
 */
import { z } from 'zod';
import { endpoint } from '@shop/contracts';
import { BusClient, connectNats, createLogger, createPool, handle, metrics, otelContext, serveEndpoints, SpanKind, traceHeaders, tracer } from '@shop/kit';
import { freshDatabase, freshPrefix, testNatsUrl } from '@shop/kit/testing';
import { BatchSpanProcessor, NodeTracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-node';

const echo = endpoint('cost.echo', z.object({ n: z.number().int() }).strict(), z.object({ n: z.number().int() }));
const calls = Number(process.env.COST_CALLS ?? 3000);

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The per-hop additions with tracing off, in nanoseconds per hop. */
function untracedOverheadNs(): number {
  const n = 200_000;
  const t = tracer('cost');
  const run = () => {
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      const span = t.startSpan('call cost.echo', { kind: SpanKind.CLIENT, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': 'cost.echo' } }, otelContext.active());
      if (span.isRecording()) traceHeaders();
      span.end();
      metrics.natsClient.observe((performance.now() - started) / 1000, 'cost.echo', 'ok');
    }
  };
  run(); // warm
  const t0 = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - t0) / n;
}

const dropping: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: async () => undefined,
};

async function roundTrips(traced: boolean): Promise<number> {
  const logger = createLogger('cost', 'silent');
  const db = await freshDatabase('telemetry_cost');
  const pool = createPool(db.url, 4, logger);
  const nc = await connectNats(testNatsUrl(), 'cost', logger);
  const prefix = freshPrefix();
  const svc = await serveEndpoints(nc, { name: 'cost', version: '0.0.1', description: 'cost', prefix, logger }, [
    handle(echo, async (req) => {
      await pool.query('select $1::int as n', [req.n]);
      return { n: req.n };
    }),
  ]);
  const bus = new BusClient(nc, prefix);
  const root = tracer('cost');
  const one = (i: number) => (traced ? root.startActiveSpan('root', async (span) => bus.call(echo, { n: i }).finally(() => span.end())) : bus.call(echo, { n: i }));
  try {
    for (let i = 0; i < 300; i++) await one(i);
    const c0 = cpuMs();
    for (let i = 0; i < calls; i++) await one(i);
    return (cpuMs() - c0) / calls;
  } finally {
    await svc.stop();
    await nc.drain();
    await pool.end();
    await db.drop();
  }
}

async function main() {
  const mode = process.argv[2];
  if (mode === 'off' || mode === 'on') {
    if (mode === 'on') new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }).register();
    console.log(JSON.stringify({ mode, cpu_ms_per_round_trip: +(await roundTrips(mode === 'on')).toFixed(3) }));
    return;
  }
  console.log(`untraced instrumentation per hop (span no-op + histogram): ${untracedOverheadNs().toFixed(0)} ns`);
  // Each mode in its own process (a registered provider cannot be taken back), alternating.
  const { execFileSync } = await import('node:child_process');
  const results: Record<string, number[]> = { off: [], on: [] };
  for (let round = 0; round < 3; round++) {
    for (const m of ['off', 'on']) {
      const out = JSON.parse(execFileSync(process.execPath, [process.argv[1], m], { encoding: 'utf8', env: process.env }).trim().split('\n').at(-1)!);
      results[m].push(out.cpu_ms_per_round_trip);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`NATS round trip + one query, this process's CPU per call (both sides in one process), median of 3 runs of ${calls}:`);
  console.log(`  untraced ${median(results.off).toFixed(3)} ms (${results.off.join(', ')}); traced ${median(results.on).toFixed(3)} ms (${results.on.join(', ')})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
