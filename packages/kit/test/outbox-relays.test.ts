import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import os from 'node:os';
import { mkdtempSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { bootRuntime, BaseConfig, writeOutbox, eventStreamName, loadConfig, withTransaction, type ServiceRuntime } from '../src/index.js';
import { freshDatabase, freshPrefix, testEnv } from '../src/testing.js';

/** Two instances of one service: two relays over one outbox, as with `docker compose --scale`. */
describe('outbox relays of two instances', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  const runtimes: ServiceRuntime[] = [];
  beforeAll(async () => {
    db = await freshDatabase('relays');
    const config = loadConfig(BaseConfig, testEnv(db.url, freshPrefix()));
    const migrations = mkdtempSync(path.join(os.tmpdir(), 'mig-'));
    for (const name of ['relay-a', 'relay-b']) runtimes.push(await bootRuntime(name, config, migrations));
  });
  afterAll(async () => {
    for (const rt of runtimes) await rt.stop();
    await db?.drop();
  });

  it('publish every event once, in outbox order', async () => {
    const [a, b] = runtimes;
    const total = 300;
    // Many small commits while both relays are kicked, so both try to drain at once.
    for (let n = 1; n <= total; n++) {
      const rt = n % 2 ? a : b;
      await withTransaction(rt.pool, (tx) => writeOutbox(tx, 'evt.kit.relayed', { n }));
      rt.relay.kick();
    }
    const deadline = Date.now() + 20_000;
    while ((await a.pool.query<{ n: number }>('select count(*)::int n from outbox where published_at is null')).rows[0].n > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const jsm = await jetstreamManager(a.nc);
    const stream = eventStreamName(a.config.NATS_PREFIX);
    const info = await jsm.streams.info(stream);
    const seen: number[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) seen.push((await jsm.streams.getMessage(stream, { seq })).json<{ data: { n: number } }>().data.n);
    expect(seen).toHaveLength(total);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  }, 60_000);
});
