import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '@shop/kit/testing';

/**
 * The migration that moves the placement saga off the order row (1767800000000_order_sagas.sql):
 * orders placed before it keep their saga, read back through orders_with_saga exactly as the order
 * row held it, the placement guarantees hold on the new table, and the down migration restores it.
 */
const migrations = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');
const SAGA_MIGRATION = '1767800000000_order_sagas';
const columns = 'id, number, cart_id, idempotency_key, status, saga_step, compensate_from, compensate_to, superseded, replaced_by';

let db: { url: string; drop: () => Promise<void> };
let client: pg.Client;

const migrateService = (direction: 'up' | 'down', opts: { count?: number; file?: string } = {}) =>
  runner({ databaseUrl: db.url, dir: migrations, migrationsTable: 'service_migrations', direction, singleTransaction: true, checkOrder: true, verbose: false, log: () => undefined, ...opts });

const [confirmed, failed, refused, linkOrder, direct] = Array.from({ length: 5 }, () => randomUUID());
let before: unknown[];

beforeAll(async () => {
  db = await freshDatabase('orders_saga_migration');
  // Every migration before the saga's.
  const files = (await import('node:fs')).readdirSync(migrations).filter((f) => f.endsWith('.sql')).sort();
  await migrateService('up', { count: files.indexOf(`${SAGA_MIGRATION}.sql`) });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(
    `insert into orders (id, number, cart_id, idempotency_key, status, saga_step, caller, compensate_from, compensate_to, superseded, replaced_by) values
       ($1, 'ORD-2026-00001', 'cart-a', 'k1', 'confirmed', 'confirmed', '{}', null, null, false, null),
       ($2, 'ORD-2026-00002', 'cart-b', 'k2', 'cancelled', 'failed', '{}', 'charging', 'cancelled', false, null),
       ($3, 'ORD-2026-00003', 'cart-b', 'k3', 'cancelled', 'refused', '{}', null, null, true, null),
       ($4, 'ORD-2026-00004', 'cart-c', 'k4', 'pending', 'compensating', '{}', 'awaiting_payment', 'cancelled', false, $5),
       ($5, 'ORD-2026-00005', 'cart-c', 'k5', 'pending', 'charging', '{}', null, null, false, null)`,
    [confirmed, failed, refused, linkOrder, direct],
  );
  before = (await client.query(`select ${columns} from orders order by number`)).rows;
  await migrateService('up');
}, 60_000);
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('the saga moved to order_sagas', () => {
  it('every order keeps its saga: orders_with_saga reads what the order row held', async () => {
    expect((await client.query(`select ${columns} from orders_with_saga order by number`)).rows).toEqual(before);
    const { rows } = await client.query(`select column_name from information_schema.columns where table_name = 'orders' and column_name in ('saga_step', 'cart_id', 'superseded')`);
    expect(rows).toEqual([]);
  });

  it('one placement per cart and one order per key are the saga table’s indexes', async () => {
    const holdsCartA = client.query(`insert into order_sagas (order_id, cart_id, idempotency_key, step) values ($1, 'cart-a', 'other-key', 'created')`, [randomUUID()]);
    await expect(holdsCartA).rejects.toMatchObject({ code: '23505', constraint: 'order_sagas_one_placement_per_cart' });
    // cart-b's placements all ended (failed, refused): a new one may hold it, but not under a key still in use.
    const sameKey = client.query(`insert into order_sagas (order_id, cart_id, idempotency_key, step) values ($1, 'cart-b', 'k2', 'created')`, [randomUUID()]);
    await expect(sameKey).rejects.toMatchObject({ code: '23505', constraint: 'order_sagas_idempotency' });
  });

  it('the down migration puts the saga back on the order row', async () => {
    await migrateService('down', { count: 1 });
    expect((await client.query(`select ${columns} from orders order by number`)).rows).toEqual(before);
    expect((await client.query(`select to_regclass('order_sagas') as t`)).rows).toEqual([{ t: null }]);
  });
});
