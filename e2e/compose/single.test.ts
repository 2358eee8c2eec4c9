import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultShopper, leaksInternals, RETRYABLE } from '../faults/client.js';
import { DATABASES, sleep } from '../faults/harness.js';
import { Checks, initialStock } from '../faults/invariants.js';
import { Workload } from '../faults/workload.js';
import { checkAfterRecovery, loadProducts, summary } from './checks.js';
import { ordersApi } from '@shop/contracts';
import type { NatsConnection } from '@shop/kit';
import { CHECKER_APP, containersOf, crash, docker, env, hostPort, inspected, natsClient, natsClientAs, partition, restartedByPolicy, waitAllHealthy } from './compose.js';

/**
 * docker-compose.yml as users run it (one container per service), broken on purpose during
 * concurrent checkouts: a crash of each service container, a stop and start of the nats and
 * postgres containers, and a 15 s network partition of the orders container.
 */
const SHOPPERS = 6;
const SERVICES = ['catalog', 'cart', 'payments', 'orders', 'accounts', 'mcp-gateway'];
const PARTITION_MS = 15_000;

const target = inspected();
const checks = new Checks();
let work: Workload;
let initial: Map<string, number>;
const writtenDuringNatsOutage = new Set<string>();

beforeAll(async () => {
  const products = await loadProducts(target);
  expect(products.length).toBeGreaterThanOrEqual(3);
  initial = await initialStock(target);
  work = new Workload(env.mcpUrl, products);
});

afterAll(async () => {
  if (work) console.log(`\n${summary(work)}`);
  if (checks.rows.length) console.log(`\nCompose fault-run invariants\n${checks.table()}\n`);
  await target.close();
});

async function underLoad(phase: string, fault: () => Promise<void>): Promise<void> {
  const load = work.run(phase, SHOPPERS);
  try {
    await sleep(2_500);
    await fault();
    await sleep(2_500);
  } finally {
    await load.stop();
  }
}

/** Every container healthy again, and the phase saw at least one confirmed checkout. */
async function settled(phase: string): Promise<void> {
  const unhealthy = await waitAllHealthy();
  checks.add(`${phase}: every container healthy again`, 1, unhealthy);
  const mine = work.placements.filter((p) => p.phase === phase);
  checks.add(`${phase}: checkouts confirmed`, mine.length, mine.some((p) => p.outcome === 'confirmed') ? [] : ['no checkout was confirmed in this phase']);
  expect(unhealthy).toEqual([]);
  expect(mine.length).toBeGreaterThan(0);
}

describe('docker-compose.yml credentials', () => {
  it('each service on its own PostgreSQL role and NATS user; internal HTTP needs the operator token', async () => {
    const bad: string[] = [];
    // Every server connection but the checker's: a service's own role, on its own database (or the
    // maintenance database `postgres`, checked once at boot); never the superuser.
    const { rows } = await target.db.orders.query<{ usename: string; datname: string }>(
      `select distinct usename, datname from pg_stat_activity where backend_type = 'client backend' and application_name <> $1`,
      [CHECKER_APP],
    );
    for (const r of rows) if (r.usename === 'postgres' || (r.datname !== 'postgres' && r.usename !== r.datname)) bad.push(`postgres: ${r.usename} connected to ${r.datname}`);
    for (const db of [...DATABASES, 'accounts']) if (!rows.some((r) => r.usename === db && r.datname === db)) bad.push(`postgres: no connection of role ${db} to its database`);

    await expect(natsClientAs()).rejects.toThrow(/requires credentials/);
    await expect(natsClientAs('catalog', 'not-its-password')).rejects.toThrow(/wrong or rotated password/);
    // Shipping is the operators': the admin user gets an answer, the gateway's user is refused.
    const ship = (nc: NatsConnection) => nc.request(ordersApi.ship.subject, JSON.stringify({ order_id: 'no-such-order' }), { timeout: 2_000 }).then(() => 'answered', (e: Error) => e.message);
    const admin = await natsClient();
    const gateway = await natsClientAs('mcp-gateway', process.env.NATS_PASSWORD_MCP_GATEWAY);
    try {
      const [asAdmin, asGateway] = await Promise.all([ship(admin), ship(gateway)]);
      if (asAdmin !== 'answered') bad.push(`nats: admin got no answer from ${ordersApi.ship.subject} (${asAdmin})`);
      if (asGateway === 'answered') bad.push(`nats: mcp-gateway may request ${ordersApi.ship.subject}`);
    } finally {
      await Promise.all([admin.close(), gateway.close()]);
    }

    const [orders] = await containersOf('orders');
    const url = `http://127.0.0.1:${await hostPort(orders, 4103)}/v1/orders/00000000-0000-0000-0000-000000000000/ship`;
    const without = await fetch(url, { method: 'POST' });
    const withToken = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${env.operatorToken}` } });
    if (without.status !== 401) bad.push(`http: ship without a token answered ${without.status}`);
    if (withToken.status === 401 || withToken.status === 403) bad.push(`http: ship with the operator token answered ${withToken.status}`);
    expect(bad).toEqual([]);
  });
});

describe('docker-compose.yml under faults during concurrent checkouts', () => {
  for (const service of SERVICES) {
    it(`a crash of the ${service} container: the restart policy brings it back`, async () => {
      const phase = `crash ${service}`;
      const [before] = await containersOf(service);
      let after;
      await underLoad(phase, async () => {
        await crash(before);
        after = await restartedByPolicy(before);
      });
      checks.add(`${phase}: restarted by the restart policy`, 1, after ? [] : [`${before.name} did not come back by itself`]);
      expect(after).toBeTruthy();
      await settled(phase);
    }, 180_000);
  }

  it('stop and start the nats container: services reconnect; events written meanwhile are delivered', async () => {
    const phase = 'nats restart';
    const [nats] = await containersOf('nats');
    const [orders] = await containersOf('orders');
    const ordersUrl = `http://127.0.0.1:${await hostPort(orders, 4103)}`;
    const pids = new Map((await Promise.all(SERVICES.map(containersOf))).flat().map((c) => [c.id, c.pid]));
    let shipped = 0;
    let down = new Date(0);
    let up = new Date(0);
    await underLoad(phase, async () => {
      await docker('stop', nats.id);
      down = (await target.db.orders.query<{ now: Date }>('select now()')).rows[0].now;
      // Fulfilment goes through the orders HTTP API and writes events to the outbox: shipping needs no NATS.
      const { rows } = await target.db.orders.query<{ id: string }>(`select id from orders where status = 'confirmed' order by updated_at limit 3`);
      const operator = { authorization: `Bearer ${env.operatorToken}` };
      for (const { id } of rows) if ((await fetch(`${ordersUrl}/v1/orders/${id}/ship`, { method: 'POST', headers: operator })).ok) shipped++;
      await sleep(3_000);
      up = (await target.db.orders.query<{ now: Date }>('select now()')).rows[0].now;
      await docker('start', nats.id);
    });
    for (const db of DATABASES) {
      const { rows } = await target.db[db].query<{ msg_id: string }>('select msg_id from outbox where created_at between $1 and $2', [down, up]);
      for (const r of rows) writtenDuringNatsOutage.add(r.msg_id);
    }
    const now = (await Promise.all(SERVICES.map(containersOf))).flat();
    checks.add(`${phase}: services not restarted`, now.length, now.filter((c) => pids.get(c.id) !== c.pid).map((c) => `${c.name} was restarted`));
    checks.add(`${phase}: orders shipped over HTTP while NATS was down`, 3, shipped > 0 ? [] : ['no order could be shipped during the outage']);
    expect(writtenDuringNatsOutage.size).toBeGreaterThan(0);
    await settled(phase);
  }, 180_000);

  it('stop and start the postgres container: readable, retryable errors meanwhile; recovery without restarts', async () => {
    const phase = 'postgres restart';
    const [pg] = await containersOf('postgres');
    const pids = new Map((await Promise.all(SERVICES.map(containersOf))).flat().map((c) => [c.id, c.pid]));
    const unreadable: string[] = [];
    let probes = 0;
    await underLoad(phase, async () => {
      await docker('stop', pg.id);
      const shopper = new FaultShopper(env.mcpUrl, 10_000);
      for (const [tool, args] of [
        ['search_products', { query: 'mug' }],
        ['view_cart', {}],
        ['list_orders', {}],
      ] as const) {
        probes++;
        const out = await shopper.call(tool, args);
        if (out.kind !== 'result') unreadable.push(`${tool}: no answer (${out.text})`);
        else if (!out.isError) unreadable.push(`${tool} succeeded with the database down`);
        else if (!RETRYABLE.has(out.code ?? '') || !/temporarily unavailable/i.test(out.text) || leaksInternals(out.text)) unreadable.push(`${tool}: ${out.code} "${out.text}"`);
      }
      await shopper.close();
      await sleep(2_000);
      await docker('start', pg.id);
    });
    const now = (await Promise.all(SERVICES.map(containersOf))).flat();
    checks.add(`${phase}: tool errors readable and retryable`, probes, unreadable);
    checks.add(`${phase}: services not restarted`, now.length, now.filter((c) => pids.get(c.id) !== c.pid).map((c) => `${c.name} was restarted`));
    expect(unreadable).toEqual([]);
    await settled(phase);
  }, 180_000);

  it(`a network partition: the orders container cut off for ${PARTITION_MS / 1000} s, then reconnected`, async () => {
    const phase = 'partition orders';
    const [orders] = await containersOf('orders');
    await underLoad(phase, () => partition(orders, PARTITION_MS));
    const [again] = await containersOf('orders');
    checks.add(`${phase}: same process after reconnecting`, 1, again.pid === orders.pid ? [] : ['orders was restarted']);
    await settled(phase);
  }, 180_000);

  it('after recovery, every invariant holds', async () => {
    await checkAfterRecovery(checks, target, work, initial, env.mailDir, writtenDuringNatsOutage);
    expect(checks.failed().map((c) => `${c.invariant}: ${c.violations.slice(0, 3).join('; ')}`)).toEqual([]);
  }, 240_000);
});
