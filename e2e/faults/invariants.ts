import { existsSync, readdirSync } from 'node:fs';
import { connectNats, createLogger, eventStreamName } from '@shop/kit';
import type { NatsSettings, Pool } from '@shop/kit';
import { DATABASES, type Db } from './harness.js';
import type { PlacementRecord } from './workload.js';

/** One line of the summary: what was checked, over how many things, and what broke. */
export interface Check {
  invariant: string;
  checked: number;
  violations: string[];
}

/** What the checks read: every service's database and the stack's event stream (a FaultStack, or the compose run's stack). */
export interface Inspected {
  db: Record<Db, Pool>;
  /** natsSettings: how the checker connects as the NATS admin user when the server requires credentials. */
  stack: { prefix: string; infra: { natsUrl: string; natsSettings?: (user: string) => NatsSettings } };
}

export class Checks {
  readonly rows: Check[] = [];

  add(invariant: string, checked: number, violations: string[]): void {
    this.rows.push({ invariant, checked, violations });
  }

  failed(): Check[] {
    return this.rows.filter((r) => r.violations.length > 0);
  }

  /** The table printed at the end of the run. */
  table(): string {
    const width = Math.max(...this.rows.map((r) => r.invariant.length), 9);
    const lines = [`${'invariant'.padEnd(width)}  checked  violations`, `${'-'.repeat(width)}  -------  ----------`];
    for (const r of this.rows) lines.push(`${r.invariant.padEnd(width)}  ${String(r.checked).padStart(7)}  ${String(r.violations.length).padStart(10)}`);
    for (const r of this.failed()) lines.push('', `${r.invariant}:`, ...r.violations.slice(0, 10).map((v) => `  - ${v}`));
    return lines.join('\n');
  }
}

const PLACED = new Set(['confirmed', 'shipped', 'delivered']);
const FINISHED_STEPS = new Set(['confirmed', 'failed', 'refused']);

interface OrderRow {
  id: string;
  number: string;
  cart_id: string;
  idempotency_key: string;
  status: string;
  saga_step: string;
  total: number | null;
  payment_id: string | null;
  superseded: boolean;
  coupon_code: string | null;
  updated_at: Date;
}
interface PaymentRow {
  id: string;
  order_id: string;
  status: string;
  amount: number;
  amount_captured: number;
  amount_refunded: number;
}

/** The state of every service's database, read directly (never through the services). */
export async function snapshot(fs: Inspected) {
  const orders = (
    await fs.db.orders.query<OrderRow>(
      `select id, number, cart_id, idempotency_key, status, saga_step, (snapshot->>'total')::bigint as total, payment_id, superseded, snapshot->'coupon'->>'code' as coupon_code, updated_at from orders_with_saga`,
    )
  ).rows;
  const orderedByVariant = new Map<string, number>(
    (
      await fs.db.orders.query<{ variant_id: string; quantity: number }>(
        `select l.variant_id, sum(l.quantity)::int quantity from order_lines l join orders o on o.id = l.order_id
         where o.status in ('confirmed', 'shipped', 'delivered') group by l.variant_id`,
      )
    ).rows.map((r) => [r.variant_id, r.quantity]),
  );
  const payments = (await fs.db.payments.query<PaymentRow>('select id, order_id, status, amount, amount_captured, amount_refunded from payments')).rows;
  const variants = (await fs.db.catalog.query<{ id: string; stock: number; reserved: number }>('select id, stock, reserved from variants')).rows;
  const reservations = (
    await fs.db.catalog.query<{ order_id: string; status: string; expired_for_s: number; variant_id: string; quantity: number }>(
      `select r.order_id, r.status, extract(epoch from now() - r.expires_at)::float expired_for_s, l.variant_id, l.quantity
       from reservations r join reservation_lines l using (order_id)`,
    )
  ).rows;
  const carts = (await fs.db.cart.query<{ id: string; status: string; order_id: string | null }>('select id, status, order_id from carts')).rows;
  const redemptions = (await fs.db.cart.query<{ order_id: string; code: string }>('select order_id, code from coupon_reservations where released_at is null and code is not null')).rows;
  const timesUsed = (await fs.db.cart.query<{ times_used: number }>(`select times_used from coupons where code = 'FREESHIP'`)).rows[0].times_used;
  return { orders, orderedByVariant, payments, variants, reservations, carts, redemptions, timesUsed };
}

export async function initialStock(fs: Inspected): Promise<Map<string, number>> {
  const { rows } = await fs.db.catalog.query<{ id: string; stock: number; reserved: number }>('select id, stock, reserved from variants');
  for (const r of rows) if (r.reserved !== 0) throw new Error(`variant ${r.id} has ${r.reserved} reserved before the run`);
  return new Map(rows.map((r) => [r.id, r.stock]));
}

export async function unfinishedSagas(fs: Inspected): Promise<number> {
  const { rows } = await fs.db.orders.query<{ n: number }>(`select count(*)::int n from orders_with_saga where saga_step not in ('confirmed', 'failed', 'refused')`);
  return rows[0].n;
}

export async function outboxBacklog(fs: Inspected): Promise<number> {
  let n = 0;
  for (const name of DATABASES) n += (await fs.db[name].query<{ n: number }>('select count(*)::int n from outbox where published_at is null')).rows[0].n;
  return n;
}

export function mailedOrderNumbers(mailDir: string): Set<string> {
  if (!existsSync(mailDir)) return new Set();
  // `<number>-confirmed.eml` (or `<number>.eml` from notifiers that send only confirmations).
  const names = readdirSync(mailDir).map((f) => /^(ORD-\d+-\d+)(-confirmed)?\.eml$/.exec(f)?.[1]);
  return new Set(names.filter((n): n is string => Boolean(n)));
}

/** The placement, payment, reservation and stock invariants, from the databases and what each shopper was told. */
export function checkOrders(checks: Checks, snap: Awaited<ReturnType<typeof snapshot>>, placements: PlacementRecord[], initial: Map<string, number>): void {
  const { orders, payments, variants, reservations, carts, orderedByVariant } = snap;
  const byId = new Map(orders.map((o) => [o.id, o]));

  // Every placement request: one definitive outcome, and the databases agree with what the shopper was told.
  const bad: string[] = [];
  for (const p of placements) {
    const rows = orders.filter((o) => o.cart_id === p.cartId && o.idempotency_key === p.key);
    const placed = rows.filter((o) => PLACED.has(o.status));
    const tag = `${p.phase} key ${p.key}`;
    if (p.outcome === 'undetermined') bad.push(`${tag}: no definitive answer after ${p.attempts} attempts (${p.code}: ${p.text})`);
    if (placed.length > 1) bad.push(`${tag}: ${placed.length} placed orders`);
    if (p.outcome === 'confirmed' && (placed.length !== 1 || placed[0].id !== p.orderId)) bad.push(`${tag}: shopper got order ${p.orderId}, database has ${placed.map((o) => o.id).join(',') || 'none placed'}`);
    if (p.outcome === 'failed' && placed.length) bad.push(`${tag}: shopper was told "${p.text}" but order ${placed[0].id} is ${placed[0].status}`);
    for (const o of rows) if (!FINISHED_STEPS.has(o.saga_step)) bad.push(`${tag}: order ${o.id} still at saga step ${o.saga_step}`);
  }
  checks.add('placement requests with exactly one outcome', placements.length, bad);

  const perCart = new Map<string, number>();
  for (const o of orders) if (PLACED.has(o.status)) perCart.set(o.cart_id, (perCart.get(o.cart_id) ?? 0) + 1);
  checks.add('carts placed at most once', perCart.size, [...perCart].filter(([, n]) => n > 1).map(([c, n]) => `cart ${c}: ${n} placed orders`));

  checks.add('sagas finished (none left pending)', orders.length, orders.filter((o) => !FINISHED_STEPS.has(o.saga_step)).map((o) => `order ${o.id}: ${o.status}/${o.saga_step}`));

  const net = (p: PaymentRow) => p.amount_captured - p.amount_refunded;
  const paymentsOf = new Map<string, PaymentRow[]>();
  for (const p of payments) paymentsOf.set(p.order_id, [...(paymentsOf.get(p.order_id) ?? []), p]);

  const placedOrders = orders.filter((o) => PLACED.has(o.status));
  const noPayment: string[] = [];
  for (const o of placedOrders) {
    const captured = (paymentsOf.get(o.id) ?? []).filter((p) => net(p) > 0);
    if (captured.length !== 1) noPayment.push(`order ${o.number} (${o.status}): ${captured.length} captured payments`);
    else if (net(captured[0]) !== o.total || captured[0].id !== o.payment_id) noPayment.push(`order ${o.number}: captured ${net(captured[0])} on ${captured[0].id}, total ${o.total} payment ${o.payment_id}`);
  }
  checks.add('placed orders with exactly one captured payment', placedOrders.length, noPayment);

  const unplaced = orders.filter((o) => !PLACED.has(o.status));
  checks.add(
    'failed/cancelled orders with no un-refunded capture',
    unplaced.length,
    unplaced.filter((o) => (paymentsOf.get(o.id) ?? []).some((p) => net(p) > 0)).map((o) => `order ${o.id} (${o.status}/${o.saga_step}) keeps a capture`),
  );

  checks.add(
    'payments belonging to an order',
    payments.length,
    payments.filter((p) => !byId.has(p.order_id)).map((p) => `payment ${p.id} (${p.status}, ${p.amount_captured}) for unknown order ${p.order_id}`),
  );
  checks.add(
    'payments settled (none left authorized/pending)',
    payments.length,
    payments.filter((p) => ['pending', 'authorized', 'requires_action'].includes(p.status)).map((p) => `payment ${p.id} for order ${p.order_id} is ${p.status}`),
  );

  const resByOrder = new Map<string, { status: string; expired_for_s: number }>();
  for (const r of reservations) resByOrder.set(r.order_id, r);
  checks.add(
    'reservations not active past their TTL',
    resByOrder.size,
    [...resByOrder].filter(([, r]) => r.status === 'active' && r.expired_for_s > 0).map(([id, r]) => `reservation ${id} active ${r.expired_for_s.toFixed(1)} s past expiry`),
  );
  const resBad: string[] = [];
  for (const [id, r] of resByOrder) {
    const o = byId.get(id);
    if (!o) resBad.push(`reservation ${id} (${r.status}) has no order`);
    else if (PLACED.has(o.status) !== (r.status === 'committed')) resBad.push(`order ${o.number} is ${o.status} but its reservation is ${r.status}`);
  }
  checks.add('reservations committed iff the order was placed', resByOrder.size, resBad);

  const committed = new Map<string, number>();
  const active = new Map<string, number>();
  for (const r of reservations) {
    if (r.status === 'committed') committed.set(r.variant_id, (committed.get(r.variant_id) ?? 0) + r.quantity);
    if (r.status === 'active') active.set(r.variant_id, (active.get(r.variant_id) ?? 0) + r.quantity);
  }
  const stockBad: string[] = [];
  for (const v of variants) {
    const sold = committed.get(v.id) ?? 0;
    const start = initial.get(v.id);
    if (start === undefined) stockBad.push(`variant ${v.id} appeared during the run`);
    else if (start !== v.stock + sold) stockBad.push(`variant ${v.id}: initial ${start} ≠ remaining ${v.stock} + sold ${sold}`);
    if (v.reserved !== (active.get(v.id) ?? 0)) stockBad.push(`variant ${v.id}: reserved ${v.reserved} ≠ active reservations ${active.get(v.id) ?? 0}`);
    if (sold !== (orderedByVariant.get(v.id) ?? 0)) stockBad.push(`variant ${v.id}: committed ${sold} ≠ ordered in placed orders ${orderedByVariant.get(v.id) ?? 0}`);
  }
  checks.add('stock conserved (initial = remaining + sold)', variants.length, stockBad);

  const cartById = new Map(carts.map((c) => [c.id, c]));
  checks.add(
    'carts of placed orders converted',
    placedOrders.length,
    placedOrders.filter((o) => cartById.get(o.cart_id)?.status !== 'converted').map((o) => `order ${o.number}: cart ${o.cart_id} is ${cartById.get(o.cart_id)?.status}`),
  );
}

/** Events reached their consumers: a confirmation mail and one coupon redemption per placed order. */
export function checkDelivery(checks: Checks, snap: Awaited<ReturnType<typeof snapshot>>, mailed: Set<string>): void {
  const placedOrders = snap.orders.filter((o) => PLACED.has(o.status));
  checks.add('confirmation e-mails (one per placed order)', placedOrders.length, placedOrders.filter((o) => !mailed.has(o.number)).map((o) => `order ${o.number} was never mailed`));
  const redeemed = new Set(snap.redemptions.map((r) => r.order_id));
  const couponed = placedOrders.filter((o) => o.coupon_code === 'FREESHIP');
  const bad = couponed.filter((o) => !redeemed.has(o.id)).map((o) => `order ${o.number}: FREESHIP use not counted`);
  const placedIds = new Set(placedOrders.map((o) => o.id));
  bad.push(...snap.redemptions.filter((r) => !placedIds.has(r.order_id)).map((r) => `redemption for order ${r.order_id} that is not placed`));
  if (snap.timesUsed !== snap.redemptions.length) bad.push(`FREESHIP times_used ${snap.timesUsed} ≠ ${snap.redemptions.length} redemptions`);
  checks.add('coupon usage counted once per placed order', couponed.length, bad);
}

/** Every outbox row of every service is published and sits in the JetStream stream (by message id). */
export async function checkOutbox(checks: Checks, fs: Inspected, writtenDuringOutage: Set<string>): Promise<void> {
  const rows: Array<{ db: string; msg_id: string; published: boolean }> = [];
  for (const name of DATABASES) {
    const r = await fs.db[name].query<{ msg_id: string; published: boolean }>('select msg_id, published_at is not null as published from outbox');
    rows.push(...r.rows.map((x) => ({ db: name, ...x })));
  }
  checks.add('outbox rows published', rows.length, rows.filter((r) => !r.published).map((r) => `${r.db} outbox ${r.msg_id} unpublished`));

  const inStream = await streamMessageIds(fs);
  checks.add('outbox rows present in JetStream', rows.length, rows.filter((r) => r.published && !inStream.has(r.msg_id)).map((r) => `${r.db} event ${r.msg_id} missing from the stream`));
  const during = rows.filter((r) => writtenDuringOutage.has(r.msg_id));
  checks.add(
    'events written during the NATS outage delivered',
    during.length,
    during.length ? during.filter((r) => !r.published || !inStream.has(r.msg_id)).map((r) => `${r.db} event ${r.msg_id}`) : ['no outbox row was written during the outage'],
  );
}

/** Reads every message id in this stack's event stream through the plain JetStream API. */
async function streamMessageIds(fs: Inspected): Promise<Set<string>> {
  const nc = await connectNats(fs.stack.infra.natsSettings?.('admin') ?? fs.stack.infra.natsUrl, 'fault-checker', createLogger('fault-checker', 'silent'));
  const stream = eventStreamName(fs.stack.prefix);
  const api = async (subject: string, body: unknown) => (await nc.request(subject, JSON.stringify(body), { timeout: 5_000 })).json<any>();
  try {
    const info = await api(`$JS.API.STREAM.INFO.${stream}`, {});
    if (info.error) throw new Error(`stream ${stream}: ${info.error.description}`);
    const ids = new Set<string>();
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const got = await api(`$JS.API.STREAM.MSG.GET.${stream}`, { seq });
      if (got.error) continue; // a deleted sequence
      const headers = Buffer.from(got.message.hdrs ?? '', 'base64').toString('utf8');
      const id = /Nats-Msg-Id:\s*(\S+)/i.exec(headers)?.[1];
      if (id) ids.add(id);
    }
    return ids;
  } finally {
    await nc.close();
  }
}
