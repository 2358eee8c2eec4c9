import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { endpoint } from '@shop/contracts';
import { BusClient, connectNats, createLogger, handle, initTracing, observed, serveEndpoints, SpanKind, traceHeaders, type NatsConnection } from '../src/index.js';
import { freshPrefix, testNatsUrl } from '../src/testing.js';

const ping = endpoint('otlp.ping', z.object({}).strict(), z.object({ ok: z.boolean() }));

// initTracing with OTEL_EXPORTER_OTLP_ENDPOINT set: the SDK is registered and spans leave over
// OTLP/HTTP to the collector named (here a loopback server that keeps what it is sent).
describe('OTLP/HTTP export when OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
  const bodies: Array<{ path: string; type: string | undefined; body: string }> = [];
  let collector: Server;
  let endpointUrl: string;
  let nc: NatsConnection;
  beforeAll(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({ path: req.url ?? '', type: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    endpointUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await nc?.drain().catch(() => undefined);
    await new Promise((r) => collector?.close(r));
  });

  it('nothing is registered without the variable', async () => {
    const stop = await initTracing('otlp-test', createLogger('otlp-test', 'silent'), {});
    await observed('otlp-test', 'untraced', { kind: SpanKind.INTERNAL }, async () => expect(traceHeaders()).toBeUndefined());
    await stop();
  });

  it('exports the spans of a traced NATS call, named by service', async () => {
    const logger = createLogger('otlp-test', 'silent');
    const stop = await initTracing('otlp-test', logger, { OTEL_EXPORTER_OTLP_ENDPOINT: endpointUrl, OTEL_SERVICE_NAME: 'otlp-test-service' });
    nc = await connectNats(testNatsUrl(), 'otlp-test', logger);
    const prefix = freshPrefix();
    await serveEndpoints(nc, { name: 'otlp-test', version: '0.0.1', description: 'test', prefix, logger }, [handle(ping, async () => ({ ok: true }))]);
    const bus = new BusClient(nc, prefix);
    await observed('otlp-test', 'exported root', { kind: SpanKind.SERVER }, async () => {
      expect(traceHeaders()?.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      return bus.call(ping, {});
    });
    // Shutting down flushes the batch.
    await stop();
    const traces = bodies.filter((b) => b.path === '/v1/traces');
    expect(traces.length).toBeGreaterThanOrEqual(1);
    const sent = traces.map((b) => b.body).join('\n');
    for (const name of ['exported root', 'call otlp.ping', 'handle otlp.ping']) expect(sent).toContain(name);
    expect(sent).toContain('otlp-test-service');
  });
});
