import { eventually, RESERVATION_TTL_S, sleep } from '../faults/harness.js';
import { checkDelivery, checkOrders, checkOutbox, Checks, mailedOrderNumbers, outboxBacklog, snapshot, unfinishedSagas, type Inspected } from '../faults/invariants.js';
import type { Workload } from '../faults/workload.js';

const PLACED = ['confirmed', 'shipped', 'delivered'];

/**
 * After the faults: lets recovery finish, asks again (same key) where a shopper got no definitive
 * answer, waits past the reservation TTL and for the outboxes to drain, then runs every invariant
 * of e2e/faults/invariants.ts against the compose stack's databases, mail directory and stream.
 */
export async function checkAfterRecovery(checks: Checks, target: Inspected, work: Workload, initial: Map<string, number>, mailDir: string, writtenDuringOutage: Set<string>): Promise<void> {
  await eventually(async () => ((await unfinishedSagas(target)) === 0 ? true : undefined), 60_000, 500);
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

  await eventually(async () => ((await unfinishedSagas(target)) === 0 ? true : undefined), 30_000, 500);
  // Reservations left active expire after their TTL; give the sweep time past it.
  await sleep(RESERVATION_TTL_S * 1_000 + 2_000);
  await eventually(async () => ((await outboxBacklog(target)) === 0 ? true : undefined), 30_000, 500);
  let snap = await snapshot(target);
  const placedCount = () => snap.orders.filter((o) => PLACED.includes(o.status)).length;
  await eventually(
    async () => {
      snap = await snapshot(target);
      return mailedOrderNumbers(mailDir).size >= placedCount() && snap.redemptions.length >= placedCount() ? true : undefined;
    },
    30_000,
    500,
  );
  snap = await snapshot(target);

  checkOrders(checks, snap, work.placements, initial);
  checkDelivery(checks, snap, mailedOrderNumbers(mailDir));
  await checkOutbox(checks, target, writtenDuringOutage);
  checks.add('error answers readable (no stack, no driver text)', work.errors.length, work.leaks().map((e) => `${e.phase} ${e.tool}: ${e.text}`));
  checks.add('error answers never INTERNAL', work.errors.length, work.errors.filter((e) => e.code === 'INTERNAL' || !e.code).map((e) => `${e.phase} ${e.tool}: ${e.code} "${e.text}"`));
}

/** One line per phase: how many placements, how many confirmed, how many needed asking again. */
export function summary(work: Workload): string {
  const outcomes = (o: string) => work.placements.filter((p) => p.outcome === o).length;
  const lines = [
    `placement requests: ${work.placements.length} (confirmed ${outcomes('confirmed')}, failed ${outcomes('failed')}, undetermined ${outcomes('undetermined')}); ` +
      `checkouts stopped before placement: ${work.abandonedBeforePlacement.length}; error answers: ${work.errors.length}; calls without an answer: ${work.noAnswers}`,
  ];
  for (const phase of [...new Set(work.placements.map((p) => p.phase))]) {
    const mine = work.placements.filter((p) => p.phase === phase);
    lines.push(`  ${phase.padEnd(28)} placements ${String(mine.length).padStart(3)}, confirmed ${String(mine.filter((p) => p.outcome === 'confirmed').length).padStart(3)}, asked more than once ${mine.filter((p) => p.attempts > 1).length}`);
  }
  const failed = new Map<string, number>();
  for (const p of work.placements.filter((x) => x.outcome === 'failed')) failed.set(`${p.code}: ${p.text}`, (failed.get(`${p.code}: ${p.text}`) ?? 0) + 1);
  for (const [what, n] of failed) lines.push(`  failed ×${n}  ${what}`);
  return lines.join('\n');
}

/** Single-variant products with plenty of stock: a refusal a shopper sees comes from a fault, not a sold-out item. */
export async function loadProducts(target: Inspected): Promise<Array<{ product_id: string }>> {
  const { rows } = await target.db.catalog.query<{ product_id: string }>(
    `select p.id product_id from products p join variants v on v.product_id = p.id
     where p.active and cardinality(p.sizes) = 0 and cardinality(p.colors) = 0
     group by p.id having count(*) = 1 and min(v.stock) >= 100 order by min(v.stock) desc limit 6`,
  );
  return rows;
}
