import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connectNats, consumeEvents, createLogger, ensureEventStream, type NatsConnection } from '../src/index.js';
import { freshPrefix } from '../src/testing.js';

/**
 * A consumer across a NATS server restart: the connection reconnects by itself and the durable
 * consumer goes on delivering, each event once. Its own nats-server (from PATH) on a free port
 * with its own store, so the test may kill it.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const storeDir = mkdtempSync(path.join(os.tmpdir(), 'kit-reconnect-js-'));
let port: number;
let server: ChildProcess | undefined;
let nc: NatsConnection;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port: p } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return p;
}

async function startServer(): Promise<void> {
  server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true))).on('error', () => resolve(false));
    });
    if (up) return;
    await sleep(50);
  }
  throw new Error('nats-server did not start');
}

async function stopServer(): Promise<void> {
  const s = server;
  server = undefined;
  if (!s || s.exitCode !== null) return;
  const exited = new Promise((r) => s.once('exit', r));
  s.kill('SIGKILL');
  await exited;
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  port = await freePort();
  await startServer();
  nc = await connectNats(`nats://127.0.0.1:${port}`, 'kit-reconnect', createLogger('kit-reconnect', 'silent'));
});
afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await stopServer();
  rmSync(storeDir, { recursive: true, force: true });
});

describe('a consumer across a NATS server restart', () => {
  it('reconnects by itself and goes on delivering: the event published after the restart arrives, and none twice', async () => {
    const prefix = freshPrefix();
    await ensureEventStream(nc, prefix);
    const seen: string[] = [];
    const consumer = await consumeEvents({ nc, prefix, durable: 'kit_reconnect', subjects: ['evt.kit.reconnect'], logger: createLogger('kit-reconnect', 'silent'), handler: async (e) => void seen.push(e.data.label as string) });
    // As the outbox relay publishes: under the event's id as Nats-Msg-Id, retried until JetStream
    // answers (a restarted server takes a moment to recover its streams), stored once.
    const publish = async (label: string) => {
      const id = randomUUID();
      const body = JSON.stringify({ id, type: 'evt.kit.reconnect', occurred_at: new Date().toISOString(), data: { label } });
      for (let attempt = 0; ; attempt++) {
        try {
          return await jetstream(nc).publish(`${prefix}evt.kit.reconnect`, body, { msgID: id, timeout: 2_000 });
        } catch (e) {
          if (attempt >= 15) throw e;
          await sleep(250);
        }
      }
    };

    await publish('before');
    await until('the first event', () => seen.length === 1);

    await stopServer();
    await sleep(500);
    await startServer();
    // Published once the client has found the server again; the stream and the durable consumer
    // survived on disk, and the consumer's pull resumes without the service doing anything.
    await publish('after');
    await until('the event published after the restart', () => seen.length >= 2);
    await sleep(500); // anything delivered twice would show by now
    await consumer.stop();

    expect(seen).toEqual(['before', 'after']);
  }, 60_000);
});
