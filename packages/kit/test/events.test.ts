import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import os from 'node:os';
import { mkdtempSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import type { EventEnvelope } from '@shop/contracts';
import { bootRuntime, BaseConfig, consumeEvents, ensureEventStream, loadConfig, OutboxRelay, processOnce, withTransaction, writeOutbox, type ServiceRuntime } from '../src/index.js';
import { freshDatabase, freshPrefix, testEnv } from '../src/testing.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * The outbox relay, the consumers and the inbox, with every assertion made by the test after the
 * fact (handlers only record what they saw), so a failure shows as a failed expectation, not as a
 * handler error swallowed by nak and redelivery.
 */
describe('events: outbox relay, consumers, inbox', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let rt: ServiceRuntime;
  beforeAll(async () => {
    db = await freshDatabase('kit_events');
    rt = await bootRuntime('kit-events', loadConfig(BaseConfig, testEnv(db.url, freshPrefix())), mkdtempSync(path.join(os.tmpdir(), 'mig-')));
    await rt.pool.query('create table effects (event_id text primary key, n int not null)');
    // This test drives its own relay (below); the runtime's must not drain the same outbox.
    await rt.relay.stop();
  });
  afterAll(async () => {
    await rt?.stop();
    await db?.drop();
  });

  const unpublished = async () =>
    (await rt.pool.query<{ n: number; attempts: number; last_error: string | null }>("select (payload->'data'->>'n')::int as n, attempts, last_error from outbox where published_at is null order by id")).rows;

  it('relay: while JetStream cannot take the events it retries with backoff, keeping order; then publishes them all, in order', async () => {
    // A prefix whose stream does not exist yet: every publish fails as it would with JetStream away.
    const prefix = freshPrefix();
    const relay = new OutboxRelay({ pool: rt.pool, nc: rt.nc, prefix, logger: rt.logger, pollMs: 50 });
    await withTransaction(rt.pool, async (tx) => {
      for (const n of [1, 2, 3]) await writeOutbox(tx, 'evt.kit.ordered', { n });
    });
    await expect(relay.drainOnce()).rejects.toThrow();
    let rows = await unpublished();
    // The first row failed and was marked; the later ones were not tried (they wait for it).
    expect(rows.map((r) => [r.n, r.attempts])).toEqual([[1, 1], [2, 0], [3, 0]]);
    expect(rows[0].last_error).toBeTruthy();

    relay.start();
    await sleep(600);
    rows = await unpublished();
    expect(rows).toHaveLength(3);
    // Retried in the background, but with backoff (100, 200, 400 ms…), not in a hot loop.
    expect(rows[0].attempts).toBeGreaterThanOrEqual(2);
    expect(rows[0].attempts).toBeLessThan(8);

    // JetStream back: the events go out, in order.
    await ensureEventStream(rt.nc, prefix);
    const seen: number[] = [];
    const consumer = await consumeEvents({ nc: rt.nc, prefix, durable: 'kit_order', subjects: ['evt.kit.ordered'], logger: rt.logger, handler: async (e) => void seen.push(e.data.n as number) });
    await until('all published', async () => ((await unpublished()).length === 0 ? true : undefined));
    await until('all consumed', async () => (seen.length >= 3 ? true : undefined));
    await consumer.stop();
    await relay.stop();
    expect(seen).toEqual([1, 2, 3]);
  });

  it('consumer: a failed handler is redelivered until it succeeds; processOnce applies its effect once; a malformed message is dropped and the rest go on', async () => {
    const prefix = freshPrefix();
    await ensureEventStream(rt.nc, prefix);
    const relay = new OutboxRelay({ pool: rt.pool, nc: rt.nc, prefix, logger: rt.logger, pollMs: 50 });
    relay.start();
    const deliveries: Array<{ n: number; applied: boolean }> = [];
    let failuresLeft = 2;
    const consumer = await consumeEvents({
      nc: rt.nc,
      prefix,
      durable: 'kit_redeliver',
      subjects: ['evt.kit.flaky'],
      logger: rt.logger,
      handler: async (e: EventEnvelope) => {
        const n = e.data.n as number;
        const applied = await processOnce(rt.pool, 'kit_redeliver', e.id, async (tx) => {
          await tx.query('insert into effects (event_id, n) values ($1, $2)', [e.id, n]);
          // Fails after writing: the inbox row and the effect roll back together.
          if (n === 1 && failuresLeft-- > 0) throw new Error('transient failure');
        }).catch(() => null);
        deliveries.push({ n, applied: applied === true });
        if (applied === null) throw new Error('transient failure');
      },
    });
    // A message no producer would write: not an event envelope.
    await jetstream(rt.nc).publish(`${prefix}evt.kit.flaky`, 'not json');
    await withTransaction(rt.pool, async (tx) => {
      await writeOutbox(tx, 'evt.kit.flaky', { n: 1 });
      await writeOutbox(tx, 'evt.kit.flaky', { n: 2 });
    });
    relay.kick();
    await until('both applied', async () => (deliveries.filter((d) => d.applied).length >= 2 ? true : undefined), 20_000);
    await consumer.stop();
    await relay.stop();
    // n=1 failed twice (redelivered with backoff), then applied; n=2 applied at once.
    expect(deliveries.filter((d) => d.n === 1).map((d) => d.applied)).toEqual([false, false, true]);
    expect(deliveries.filter((d) => d.n === 2).map((d) => d.applied)).toEqual([true]);
    const effects = await rt.pool.query<{ n: number }>('select n from effects order by n');
    expect(effects.rows.map((r) => r.n)).toEqual([1, 2]);
  });

  it('inbox: the same event processed concurrently and again later applies once', async () => {
    const id = `evt-${Date.now()}`;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => processOnce(rt.pool, 'kit_inbox', id, (tx) => tx.query('insert into effects (event_id, n) values ($1, 99)', [id]).then(() => undefined))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await processOnce(rt.pool, 'kit_inbox', id, async () => undefined)).toBe(false);
    expect((await rt.pool.query('select count(*)::int as n from effects where event_id = $1', [id])).rows[0].n).toBe(1);
  });
});
