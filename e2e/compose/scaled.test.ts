import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@shop/kit';
import { DATABASES, eventually, sleep } from '../faults/harness.js';
import { Checks, initialStock } from '../faults/invariants.js';
import { Workload } from '../faults/workload.js';
import { checkAfterRecovery, loadProducts, summary } from './checks.js';
import { containersOf, crash, docker, env, inspected, natsClient, requestsPerInstance, restartedByPolicy, waitAllHealthy } from './compose.js';

/**
 * Two instances of each domain service (`--scale catalog=2 --scale cart=2 --scale orders=2
 * --scale payments=2`) on the three-node NATS cluster of docker-compose.cluster.yml: requests are
 * spread over the instances, background work (outbox relays, saga recovery, sweeps) runs in both
 * without double processing, and losing one NATS node during checkouts loses nothing.
 */
const SHOPPERS = 6;
const SCALED = ['catalog', 'cart', 'orders', 'payments'];
/** Server names (docker-compose.cluster.yml) to compose services. */
const NODE_SERVICE: Record<string, string> = { 'nats-1': 'nats', 'nats-2': 'nats-2', 'nats-3': 'nats-3' };

const target = inspected();
const checks = new Checks();
let nc: NatsConnection;
let work: Workload;
let initial: Map<string, number>;
const writtenWhileNodeDown = new Set<string>();

beforeAll(async () => {
  nc = await natsClient();
  const products = await loadProducts(target);
  expect(products.length).toBeGreaterThanOrEqual(3);
  initial = await initialStock(target);
  work = new Workload(env.mcpUrl, products);
});

afterAll(async () => {
  if (work) console.log(`\n${summary(work)}`);
  if (checks.rows.length) console.log(`\nScaled / cluster invariants\n${checks.table()}\n`);
  await nc?.close();
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

interface StreamInfo {
  config: { num_replicas: number };
  cluster?: { leader?: string; replicas?: Array<{ name: string; current: boolean }> };
}
async function streamInfo(): Promise<StreamInfo> {
  const info = (await nc.request('$JS.API.STREAM.INFO.EVENTS', '', { timeout: 5_000 })).json<StreamInfo & { error?: { description: string } }>();
  if (info.error) throw new Error(`stream EVENTS: ${info.error.description}`);
  return info;
}

describe('two of each service on a three-node NATS cluster', () => {
  it('runs two containers of each domain service', async () => {
    for (const s of SCALED) expect((await containersOf(s)).filter((c) => c.running)).toHaveLength(2);
  });

  it('the event stream has 3 replicas, all current', async () => {
    const info = await streamInfo();
    console.log(`stream EVENTS: ${info.config.num_replicas} replicas, leader ${info.cluster?.leader}, followers ${info.cluster?.replicas?.map((r) => `${r.name}${r.current ? '' : ' (behind)'}`).join(', ')}`);
    checks.add('event stream replicated on all three nodes', 3, [
      ...(info.config.num_replicas === 3 ? [] : [`num_replicas ${info.config.num_replicas}`]),
      ...((info.cluster?.replicas ?? []).filter((r) => r.current).length === 2 ? [] : [`followers ${JSON.stringify(info.cluster?.replicas)}`]),
    ]);
    expect(info.config.num_replicas).toBe(3);
  });

  it('requests are spread over both instances of each service (NATS services STATS)', async () => {
    const before = new Map(await Promise.all(SCALED.map(async (s) => [s, await requestsPerInstance(nc, s)] as const)));
    await underLoad('spread', async () => {
      await sleep(3_000);
    });
    const afterLoad = new Map(await Promise.all(SCALED.map(async (s) => [s, await requestsPerInstance(nc, s)] as const)));
    const bad: string[] = [];
    for (const s of SCALED) {
      const after = afterLoad.get(s)!;
      const served = [...after].map(([id, n]) => [id, n - (before.get(s)?.get(id) ?? 0)] as const);
      console.log(`${s.padEnd(9)} requests per instance during the load: ${served.map(([id, n]) => `${id.slice(-6)}=${n}`).join(', ')}`);
      if (served.length !== 2) bad.push(`${s}: ${served.length} instances answered STATS`);
      else if (served.some(([, n]) => n === 0)) bad.push(`${s}: an instance served no request`);
    }
    checks.add('requests spread over both instances', SCALED.length, bad);
    expect(bad).toEqual([]);
  }, 120_000);

  it('a crash of one instance of each service: the other serves, the restart policy brings it back', async () => {
    const phase = 'crash one of two';
    const victims = await Promise.all(SCALED.map(async (s) => (await containersOf(s))[0]));
    const back: string[] = [];
    await underLoad(phase, async () => {
      for (const c of victims) {
        await crash(c);
        await sleep(500);
      }
      for (const c of victims) if (!(await restartedByPolicy(c))) back.push(`${c.name} did not come back by itself`);
    });
    checks.add(`${phase}: restarted by the restart policy`, victims.length, back);
    const unhealthy = await waitAllHealthy();
    checks.add(`${phase}: every container healthy again`, 1, unhealthy);
    const mine = work.placements.filter((p) => p.phase === phase);
    checks.add(`${phase}: checkouts confirmed`, mine.length, mine.some((p) => p.outcome === 'confirmed') ? [] : ['none confirmed']);
    expect(back).toEqual([]);
    expect(unhealthy).toEqual([]);
  }, 180_000);

  it('the NATS node leading the event stream is killed during checkouts: services keep serving, nothing is lost', async () => {
    const phase = 'nats node down';
    const leader = (await streamInfo()).cluster?.leader;
    expect(leader && NODE_SERVICE[leader]).toBeTruthy();
    const [node] = await containersOf(NODE_SERVICE[leader!]);
    let down = new Date(0);
    let up = new Date(0);
    let newLeader: string | undefined;
    await underLoad(phase, async () => {
      // `docker kill`: a manual stop, so the node stays down until started again below.
      await docker('kill', node.id);
      down = (await target.db.orders.query<{ now: Date }>('select now()')).rows[0].now;
      newLeader = await eventually(async () => {
        const l = (await streamInfo()).cluster?.leader;
        return l && l !== leader ? l : undefined;
      }, 20_000, 250);
      await sleep(6_000);
      up = (await target.db.orders.query<{ now: Date }>('select now()')).rows[0].now;
    });
    const mine = work.placements.filter((p) => p.phase === phase);
    const duringOutage = mine.filter((p) => p.outcome === 'confirmed').length;
    for (const db of DATABASES) {
      const { rows } = await target.db[db].query<{ msg_id: string }>('select msg_id from outbox where created_at between $1 and $2', [down, up]);
      for (const r of rows) writtenWhileNodeDown.add(r.msg_id);
    }
    console.log(`killed ${leader}; new stream leader ${newLeader}; ${duringOutage} of ${mine.length} checkouts confirmed meanwhile; ${writtenWhileNodeDown.size} events written meanwhile`);
    checks.add(`${phase}: a new stream leader elected`, 1, newLeader ? [] : ['no new leader within 20 s']);
    checks.add(`${phase}: checkouts confirmed with a node down`, mine.length, duringOutage > 0 ? [] : ['none confirmed']);
    await docker('start', node.id);
    const unhealthy = await waitAllHealthy();
    checks.add(`${phase}: node rejoined, every container healthy`, 1, unhealthy);
    expect(newLeader).toBeTruthy();
    expect(duringOutage).toBeGreaterThan(0);
    expect(unhealthy).toEqual([]);
  }, 180_000);

  it('after recovery, every invariant holds with two of each (events written while the node was down included)', async () => {
    await checkAfterRecovery(checks, target, work, initial, env.mailDir, writtenWhileNodeDown);
    expect(checks.failed().map((c) => `${c.invariant}: ${c.violations.slice(0, 3).join('; ')}`)).toEqual([]);
  }, 240_000);
});
