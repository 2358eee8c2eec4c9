import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { endpoint } from '@shop/contracts';
import { BusClient, connectNats, createLogger, handle, serveEndpoints, type NatsConnection } from '../src/index.js';
import { freshPrefix, testNatsUrl } from '../src/testing.js';

const echo = endpoint('bus.echo', z.object({ n: z.number().int() }).strict(), z.object({ n: z.number().int() }));
const slow = endpoint('bus.slow', z.object({ ms: z.number().int() }).strict(), z.object({}));
const nobody = endpoint('bus.nobody', z.object({}), z.object({}));

// BusClient's requests share one inbox subscription per connection (kit nats.ts ReplyMux): many at
// once each get their own answer, and a timeout, a missing service and a closed connection are the
// same errors callers always got.
describe('BusClient requests over one inbox per connection', () => {
  const logger = createLogger('bus-test', 'silent');
  const prefix = freshPrefix();
  let server: NatsConnection;
  let client: NatsConnection;
  let bus: BusClient;
  beforeAll(async () => {
    server = await connectNats(testNatsUrl(), 'bus-server', logger);
    client = await connectNats(testNatsUrl(), 'bus-client', logger);
    await serveEndpoints(server, { name: 'bus-test', version: '0.0.1', description: 'test', prefix, logger }, [
      handle(echo, async (req) => {
        // Answers out of order: later requests can finish first.
        await new Promise((r) => setTimeout(r, (req.n * 7) % 20));
        return { n: req.n };
      }),
      handle(slow, async (req) => {
        await new Promise((r) => setTimeout(r, req.ms));
        return {};
      }),
    ]);
    bus = new BusClient(client, prefix);
  });
  afterAll(async () => {
    await client?.close();
    await server?.drain();
  });

  it('pairs 200 concurrent requests with their own replies', async () => {
    const ns = Array.from({ length: 200 }, (_, i) => i);
    const replies = await Promise.all(ns.map((n) => bus.call(echo, { n })));
    expect(replies.map((r) => r.n)).toEqual(ns);
  });

  it('a request nobody serves fails at once as UNAVAILABLE (the server says no responders)', async () => {
    const t = performance.now();
    await expect(bus.call(nobody, {}, { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(performance.now() - t).toBeLessThan(2_000);
  });

  it('a reply later than the timeout is TIMEOUT, and the late reply is ignored', async () => {
    await expect(bus.call(slow, { ms: 400 }, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await bus.call(echo, { n: 3 })).toEqual({ n: 3 });
  });

  it('a request on a closed connection fails as UNAVAILABLE, and one in flight does not wait for its timeout', async () => {
    const other = await connectNats(testNatsUrl(), 'bus-closing', logger);
    const closing = new BusClient(other, prefix);
    expect(await closing.call(echo, { n: 1 })).toEqual({ n: 1 });
    const inFlight = closing.call(slow, { ms: 1_000 }, { timeoutMs: 10_000 });
    const t = performance.now();
    await other.close();
    await expect(inFlight).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(performance.now() - t).toBeLessThan(2_000);
    await expect(closing.call(echo, { n: 2 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
