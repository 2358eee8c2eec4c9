import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, endpoint } from '@shop/contracts';
import { bootRuntime, consumeEvents, writeOutbox, handle, loadConfig, BaseConfig, processOnce, serveEndpoints, withTransaction, type ServiceRuntime } from '../src/index.js';
import { freshDatabase, freshPrefix, testEnv } from '../src/testing.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';

const echo = endpoint('kit.echo', z.object({ n: z.number().int().min(0) }).strict(), z.object({ doubled: z.number() }));
const fail = endpoint('kit.fail', z.object({}), z.object({}));

describe('kit runtime', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let rt: ServiceRuntime;
  beforeAll(async () => {
    db = await freshDatabase('kit');
    const config = loadConfig(BaseConfig, testEnv(db.url, freshPrefix()));
    const emptyMigrations = mkdtempSync(path.join(os.tmpdir(), 'mig-'));
    rt = await bootRuntime('kit-test', config, emptyMigrations);
    const svc = await serveEndpoints(rt.nc, { name: 'kit-test', version: '0.0.1', description: 'test', prefix: config.NATS_PREFIX, logger: rt.logger }, [
      handle(echo, async (req) => ({ doubled: req.n * 2 })),
      handle(fail, async () => {
        throw new AppError('OUT_OF_STOCK', 'Only 2 units available', { available: 2 });
      }),
    ]);
    rt.onStop(() => svc.stop());
  });
  afterAll(async () => {
    await rt?.stop();
    await db?.drop();
  });

  it('answers a typed request and rejects bad input naming the field', async () => {
    expect(await rt.bus.call(echo, { n: 21 })).toEqual({ doubled: 42 });
    await expect(rt.bus.call(echo, { n: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('n') });
  });

  it('carries a domain error with its code and details across NATS', async () => {
    const err = await rt.bus.call(fail, {}).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'OUT_OF_STOCK', message: 'Only 2 units available', details: { available: 2 } });
  });

  it('relays outbox events to JetStream and processes each once', async () => {
    const seen: string[] = [];
    const onceResults: boolean[][] = [];
    let done!: () => void;
    const got = new Promise<void>((r) => (done = r));
    const consumer = await consumeEvents({
      nc: rt.nc,
      prefix: rt.config.NATS_PREFIX,
      durable: 'kit_test',
      subjects: ['evt.kit.happened'],
      logger: rt.logger,
      handler: async (evt) => {
        const first = await processOnce(rt.pool, 'kit_test', evt.id, async () => undefined);
        const second = await processOnce(rt.pool, 'kit_test', evt.id, async () => undefined);
        // Recorded, asserted below: an expect failing in here would only nak and redeliver.
        onceResults.push([first, second]);
        seen.push(String(evt.data.n));
        if (seen.length === 2) done();
      },
    });
    await withTransaction(rt.pool, async (tx) => {
      await writeOutbox(tx, 'evt.kit.happened', { n: 1 });
      await writeOutbox(tx, 'evt.kit.happened', { n: 2 });
    });
    rt.relay.kick();
    await got;
    expect(seen).toEqual(['1', '2']);
    expect(onceResults).toEqual([[true, false], [true, false]]);
    const { rows } = await rt.pool.query('select count(*)::int as n from outbox where published_at is null');
    expect(rows[0].n).toBe(0);
    await consumer.stop();
  });
});
