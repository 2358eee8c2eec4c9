import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultShopper, leaksInternals, RETRYABLE } from './client.js';
import { DATABASES, eventually, readyz, RESERVATION_TTL_S, sleep, startFaultStack, type FaultStack } from './harness.js';
import { checkDelivery, checkOrders, checkOutbox, Checks, initialStock, mailedOrderNumbers, outboxBacklog, snapshot, unfinishedSagas } from './invariants.js';
import { Workload } from './workload.js';

/** Concurrent shoppers checking out during every fault. */
const SHOPPERS = 6;
const SERVICES = ['catalog', 'cart', 'payments', 'orders', 'mcp-gateway'];

let fs: FaultStack;
let work: Workload;
let initial: Map<string, number>;
const checks = new Checks();
/** Outbox rows (msg ids) written while NATS was down. */
const writtenDuringNatsOutage = new Set<string>();
const natsWindow = { down: new Date(0), up: new Date(0) };
/** The data dir (databases, NATS store, service logs) stays for inspection unless every invariant held. */
let allHeld = false;
/** How many sagas were unfinished when each service was killed. */
const sagasAtKill = new Map<string, number>();

beforeAll(async () => {
  fs = await startFaultStack();
  // Single-variant products with plenty of stock: shoppers never race for the last unit, so every
  // refusal a shopper sees comes from a fault, not from a sold-out item.
  const { rows } = await fs.db.catalog.query<{ product_id: string }>(
    `select p.id product_id from products p join variants v on v.product_id = p.id
     where p.active and cardinality(p.sizes) = 0 and cardinality(p.colors) = 0
     group by p.id having count(*) = 1 and min(v.stock) >= 100 order by min(v.stock) desc limit 6`,
  );
  expect(rows.length).toBeGreaterThanOrEqual(3);
  initial = await initialStock(fs);
  work = new Workload(fs.stack.mcpUrl, rows);
  console.log(`fault run: data in ${fs.dataDir}, logs in ${fs.dataDir}/logs, ${fs.stack.infra.notes.join('; ')}`);
}, 240_000);

afterAll(async () => {
  if (checks.rows.length) console.log(`\nFault-run invariants\n${checks.table()}\n`);
  await fs?.stop();
  if (fs && allHeld) rmSync(fs.dataDir, { recursive: true, force: true });
  else if (fs) console.log(`fault run data and service logs kept in ${fs.dataDir}`);
}, 60_000);

/** Runs the load while fault() happens in the middle of it. */
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

describe('faults during concurrent checkouts', () => {
  for (const name of SERVICES) {
    it(`kill -9 ${name}, restart it, and checkouts carry on`, async () => {
      const phase = `kill ${name}`;
      let restartedPid: number | undefined;
      await underLoad(phase, async () => {
        const before = fs.stack.processes.get(name)!.child!.pid;
        // Kill while sagas are in flight (best effort: they last milliseconds), so the kill cuts through a placement.
        sagasAtKill.set(phase, (await eventually(async () => ((await unfinishedSagas(fs)) > 0 ? unfinishedSagas(fs) : undefined), 3_000, 10)) ?? 0);
        await fs.stack.kill(name);
        await sleep(1_500);
        await fs.stack.restart(name);
        restartedPid = fs.stack.processes.get(name)!.child!.pid;
        expect(restartedPid).not.toBe(before);
      });
      const mine = work.placements.filter((p) => p.phase === phase);
      checks.add(`${phase}: checkouts confirmed after the restart`, mine.length, mine.some((p) => p.outcome === 'confirmed') ? [] : ['no checkout was confirmed in this phase']);
      expect(mine.length).toBeGreaterThan(0);
    }, 120_000);
  }

  it('restart NATS: services reconnect by themselves and events written during the outage are delivered', async () => {
    const pids = new Map(SERVICES.map((n) => [n, fs.stack.processes.get(n)!.child!.pid]));
    const ordersUrl = fs.stack.processes.get('orders')!.url;
    let shippedDuringOutage = 0;
    await underLoad('nats restart', async () => {
      await fs.stack.infra.restartNats(async () => {
        natsWindow.down = (await fs.db.orders.query<{ now: Date }>('select now()')).rows[0].now;
        // Fulfilment goes through the orders HTTP API and writes events to the outbox: NATS is not needed to ship.
        const { rows } = await fs.db.orders.query<{ id: string }>(`select id from orders where status = 'confirmed' order by updated_at limit 3`);
        for (const { id } of rows) {
          const res = await fetch(`${ordersUrl}/v1/orders/${id}/ship`, { method: 'POST', headers: { authorization: `Bearer ${fs.stack.apiTokens.admin}` } });
          if (res.ok) shippedDuringOutage++;
        }
        await sleep(3_000);
        natsWindow.up = (await fs.db.orders.query<{ now: Date }>('select now()')).rows[0].now;
      });
    });
    for (const db of DATABASES) {
      const { rows } = await fs.db[db].query<{ msg_id: string }>('select msg_id from outbox where created_at between $1 and $2', [natsWindow.down, natsWindow.up]);
      for (const r of rows) writtenDuringNatsOutage.add(r.msg_id);
    }
    const ready = await eventually(async () => {
      const all = await Promise.all(SERVICES.map(async (n) => (await readyz(fs.stack.processes.get(n)!.url))?.status));
      return all.every((s) => s === 200) ? true : undefined;
    }, 30_000);
    const sameProcesses = SERVICES.filter((n) => fs.stack.processes.get(n)!.child!.pid !== pids.get(n));
    checks.add('nats restart: services ready again, not restarted', SERVICES.length, [
      ...(ready ? [] : ['not every /readyz came back to 200 within 30 s']),
      ...sameProcesses.map((n) => `${n} was restarted`),
    ]);
    checks.add('nats restart: orders shipped over HTTP while NATS was down', 3, shippedDuringOutage > 0 ? [] : ['no order could be shipped during the outage']);
    expect(ready).toBe(true);
    expect(writtenDuringNatsOutage.size).toBeGreaterThan(0);
  }, 120_000);

  it('restart PostgreSQL: not ready while down, readable retryable errors, recovery without restarts', async () => {
    const pids = new Map(SERVICES.map((n) => [n, fs.stack.processes.get(n)!.child!.pid]));
    const dbServices = ['catalog', 'cart', 'orders', 'payments'];
    const notReady: string[] = [];
    const unreadable: string[] = [];
    let probes = 0;
    await underLoad('postgres restart', async () => {
      await fs.stack.infra.restartPostgres(async () => {
        for (const name of dbServices) {
          const seen = await eventually(async () => {
            const r = await readyz(fs.stack.processes.get(name)!.url);
            return r?.status === 503 && r.body?.checks?.database === false ? r : undefined;
          }, 5_000);
          if (!seen) notReady.push(`${name} /readyz did not report the database down with 503`);
        }
        // What a shopper reads while the database is down: a clear, retryable message.
        const shopper = new FaultShopper(fs.stack.mcpUrl, 10_000);
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
      });
    });
    const ready = await eventually(async () => {
      const all = await Promise.all(SERVICES.map(async (n) => (await readyz(fs.stack.processes.get(n)!.url))?.status));
      return all.every((s) => s === 200) ? true : undefined;
    }, 30_000);
    const restarted = SERVICES.filter((n) => fs.stack.processes.get(n)!.child!.pid !== pids.get(n));
    checks.add('postgres down: /readyz 503 (database false)', dbServices.length, notReady);
    checks.add('postgres down: tool errors readable and retryable', probes, unreadable);
    checks.add('postgres restart: services ready again, not restarted', SERVICES.length, [...(ready ? [] : ['not every /readyz came back to 200 within 30 s']), ...restarted.map((n) => `${n} was restarted`)]);

    // After the outage a new checkout goes through at once.
    const before = work.placements.length;
    await work.checkout('after postgres', 0);
    const after = work.placements.slice(before);
    checks.add('postgres restart: a new checkout confirms afterwards', after.length, after.every((p) => p.outcome === 'confirmed') && after.length === 1 ? [] : [`outcome ${after.map((p) => `${p.outcome} ${p.text ?? ''}`).join(', ')}`]);
    expect(notReady).toEqual([]);
    expect(unreadable).toEqual([]);
    expect(ready).toBe(true);
  }, 120_000);

  // After recovery: settle everything once, record every invariant in `checks`, then one test per invariant.
  describe('after recovery, every invariant holds', () => {
    /** The invariants the fault phases above recorded, in the order they ran. */
    const DURING_FAULTS = [
      ...SERVICES.map((name) => `kill ${name}: checkouts confirmed after the restart`),
      'nats restart: services ready again, not restarted',
      'nats restart: orders shipped over HTTP while NATS was down',
      'postgres down: /readyz 503 (database false)',
      'postgres down: tool errors readable and retryable',
      'postgres restart: services ready again, not restarted',
      'postgres restart: a new checkout confirms afterwards',
    ];
    /** The invariants recorded here once recovery has run (checkOrders, checkDelivery and checkOutbox name theirs in invariants.ts). */
    const AFTER_RECOVERY = [
      'placement asked again under its key: same answer',
      // checkOrders
      'placement requests with exactly one outcome',
      'carts placed at most once',
      'sagas finished (none left pending)',
      'placed orders with exactly one captured payment',
      'failed/cancelled orders with no un-refunded capture',
      'payments belonging to an order',
      'payments settled (none left authorized/pending)',
      'reservations not active past their TTL',
      'reservations committed iff the order was placed',
      'stock conserved (initial = remaining + sold)',
      'carts of placed orders converted',
      // checkDelivery
      'confirmation e-mails (one per placed order)',
      'coupon usage counted once per placed order',
      'orders confirmed around the NATS outage mailed and counted',
      // checkOutbox
      'outbox rows published',
      'outbox rows present in JetStream',
      'events written during the NATS outage delivered',
      'error answers readable (no stack, no driver text)',
      'error answers never INTERNAL',
    ];
    const NAMED = [...DURING_FAULTS, ...AFTER_RECOVERY];
    let settled = false;

    beforeAll(async () => {
      // Let recovery finish every saga, then ask again (same key) where the shopper got no definitive answer.
      await eventually(async () => ((await unfinishedSagas(fs)) === 0 ? true : undefined), 60_000, 500);
      for (const p of work.placements.filter((x) => x.outcome === 'undetermined')) await work.place(p, 10);

      // Asking again under the same key gives the same answer: never a second order, never a second charge.
      const repeatBad: string[] = [];
      const sample = work.placements.filter((p, i) => p.outcome !== 'confirmed' || i % 3 === 0);
      for (const p of sample) {
        const out = await p.shopper.call('place_order', { session_id: p.cartId, idempotency_key: p.key });
        if (out.kind !== 'result') repeatBad.push(`${p.key}: no answer`);
        else if (p.outcome === 'confirmed' && (out.isError || out.data.order?.id !== p.orderId)) repeatBad.push(`${p.key}: was ${p.orderId}, now ${out.isError ? out.text : out.data.order?.id}`);
        else if (p.outcome === 'failed' && !out.isError) repeatBad.push(`${p.key}: was refused ("${p.text}"), now order ${out.data.order?.id}`);
        await p.shopper.close();
      }
      checks.add('placement asked again under its key: same answer', sample.length, repeatBad);

      await eventually(async () => ((await unfinishedSagas(fs)) === 0 ? true : undefined), 30_000, 500);
      // Reservations left active expire after their TTL; give the sweep time past it.
      await sleep(RESERVATION_TTL_S * 1_000 + 2_000);
      await eventually(async () => ((await outboxBacklog(fs)) === 0 ? true : undefined), 30_000, 500);
      let snap = await snapshot(fs);
      const placedCount = () => snap.orders.filter((o) => ['confirmed', 'shipped', 'delivered'].includes(o.status)).length;
      await eventually(
        async () => {
          snap = await snapshot(fs);
          return mailedOrderNumbers(fs.mailDir).size >= placedCount() && snap.redemptions.length >= placedCount() ? true : undefined;
        },
        30_000,
        500,
      );
      snap = await snapshot(fs);

      checkOrders(checks, snap, work.placements, initial);
      checkDelivery(checks, snap, mailedOrderNumbers(fs.mailDir));
      const aroundOutage = snap.orders.filter(
        (o) => o.status !== 'cancelled' && o.status !== 'payment_failed' && Math.abs(o.updated_at.getTime() - natsWindow.down.getTime()) < 15_000,
      );
      const mailed = mailedOrderNumbers(fs.mailDir);
      const redeemed = new Set(snap.redemptions.map((r) => r.order_id));
      checks.add(
        'orders confirmed around the NATS outage mailed and counted',
        aroundOutage.length,
        aroundOutage.filter((o) => !mailed.has(o.number) || !redeemed.has(o.id)).map((o) => `order ${o.number}: mailed ${mailed.has(o.number)}, coupon counted ${redeemed.has(o.id)}`),
      );
      await checkOutbox(checks, fs, writtenDuringNatsOutage);

      checks.add('error answers readable (no stack, no driver text)', work.errors.length, work.leaks().map((e) => `${e.phase} ${e.tool}: ${e.text}`));
      checks.add(
        'error answers never INTERNAL',
        work.errors.length,
        work.errors.filter((e) => e.code === 'INTERNAL' || !e.code).map((e) => `${e.phase} ${e.tool}: ${e.code} "${e.text}"`),
      );

      const outcomes = (o: string) => work.placements.filter((p) => p.outcome === o).length;
      console.log(
        `\nplacement requests: ${work.placements.length} (confirmed ${outcomes('confirmed')}, failed ${outcomes('failed')}, undetermined ${outcomes('undetermined')}); ` +
          `checkouts stopped before placement: ${work.abandonedBeforePlacement.length}; error answers: ${work.errors.length}; calls without an answer: ${work.noAnswers}`,
      );
      for (const phase of [...new Set(work.placements.map((p) => p.phase))]) {
        const mine = work.placements.filter((p) => p.phase === phase);
        const retried = mine.filter((p) => p.attempts > 1).length;
        const atKill = sagasAtKill.has(phase) ? `, sagas in flight at the kill ${sagasAtKill.get(phase)}` : '';
        console.log(`  ${phase.padEnd(18)} placements ${String(mine.length).padStart(3)}, confirmed ${String(mine.filter((p) => p.outcome === 'confirmed').length).padStart(3)}, asked more than once under the same key ${retried}${atKill}`);
      }
      const failedCodes = new Map<string, number>();
      for (const p of work.placements.filter((x) => x.outcome === 'failed')) failedCodes.set(`${p.code}: ${p.text}`, (failedCodes.get(`${p.code}: ${p.text}`) ?? 0) + 1);
      for (const [what, n] of failedCodes) console.log(`  failed ×${n}  ${what}`);
      settled = true;
    }, 240_000);

    afterAll(() => {
      // The data dir is removed (the file's afterAll) only if recovery settled and every invariant was recorded and held.
      allHeld = settled && checks.failed().length === 0 && NAMED.every((name) => checks.rows.some((r) => r.invariant === name));
    });

    for (const name of NAMED) {
      it(name, () => {
        const rows = checks.rows.filter((r) => r.invariant === name);
        expect(rows, `"${name}" was checked once`).toHaveLength(1);
        const [{ checked, violations }] = rows;
        expect(violations.slice(0, 10), `${violations.length} of ${checked} checked violate "${name}"`).toEqual([]);
      });
    }

    it('no invariant was checked without a test of its own above', () => {
      const named = new Set(NAMED);
      expect(checks.rows.map((r) => r.invariant).filter((name) => !named.has(name))).toEqual([]);
    });
  });
});
