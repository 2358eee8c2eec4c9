import type { Logger } from './logger.js';

let registered: Promise<() => Promise<void>> | undefined;

/**
 * Registers an OpenTelemetry tracer provider exporting over OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; otherwise nothing is
 * loaded and the API's no-op tracer stays in place. The exporter reads the standard OTEL_*
 * variables (endpoint, headers, timeout); the sampler honours OTEL_TRACES_SAMPLER (default:
 * parent-based, always on). Once per process; returns a shutdown that flushes the spans still
 * batched.
 */
export function initTracing(serviceName: string, logger: Logger, env: Record<string, string | undefined> = process.env): Promise<() => Promise<void>> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return Promise.resolve(async () => undefined);
  registered ??= (async () => {
    // Loaded only when exporting: a process without tracing does not pay for the SDK at start-up.
    const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
    // The URL from `env` (the exporter alone would read process.env); headers and timeout it reads itself.
    const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${env.OTEL_EXPORTER_OTLP_ENDPOINT!.replace(/\/+$/, '')}/v1/traces`;
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
    });
    // The AsyncLocalStorage context manager and the W3C trace-context propagator.
    provider.register();
    logger.info({ url }, 'exporting traces over OTLP/HTTP');
    return async () => {
      await provider.shutdown().catch((e: Error) => logger.warn({ err: e.message }, 'trace export shutdown failed'));
    };
  })();
  return registered;
}
