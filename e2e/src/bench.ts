/**
 * `npm run bench`: the cost of a tool call on this machine, end to end, with the trust boundary on.
 *
 * A fresh stack on its own PostgreSQL and nats-server (launcher-owned: NATS users with their
 * permissions, a PostgreSQL role per service, service credentials on HTTP), real MCP sessions over
 * Streamable HTTP, and for each window:
 * - System CPU per call: the machine's busy CPU in the window, less this process's own (the load
 *   generator, which also hosts the launcher) and the idle baseline measured first, divided by the
 *   calls completed in the window; and each process's own share (gateway, each service, the
 *   PostgreSQL server with its backends, nats-server) above its idle rate, read from /proc/<pid>/stat;
 * - latency percentiles and throughput per tool;
 * - the hops per call from the services' /metrics (NATS requests served per call, mean server time,
 *   PostgreSQL queries per call by process).
 *
 * Windows: add_to_cart, view_cart, search_products and place_order each at c=1 and c=64 (closed
 * loop, warm-up first), the weighted mix at c=64, and an open-loop Poisson run of the mix at
 * BENCH_RATE calls/s (latency from each call's scheduled arrival, so a stall is not hidden).
 * Writes everything to bench/results/system-cost.json.
 *
 * Settings: BENCH_SECONDS (measured, 20), BENCH_WARMUP (5), BENCH_IDLE_SECONDS (5),
 * BENCH_CONCURRENCY (64), BENCH_RATE (200), BENCH_PRODUCTS (0 = the sample store; e.g. 100000),
 * BENCH_ONLY (comma list of window names, e.g. add_to_cart,mix), BENCH_OUT (result file name),
 * BENCH_PROFILE (comma list of processes, e.g. cart,mcp-gateway: each is CPU-profiled (kit runMain,
 * CPU_PROFILE) and writes its profile to bench/profiles/ when the stack stops;
 * `node e2e/dist/src/profile-summary.js <file>` summarises one).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ownInfraOptions, repoRoot, startStack, type Stack } from '@shop/launcher';
import { createPool } from '@shop/kit';
import { bulkLoad } from '@shop/catalog/bulk';
import { cpuDelta, findProcess, readCpu, type CpuReading, type ProcessGroup } from './bench-cpu.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const warmup = Number(process.env.BENCH_WARMUP ?? 5);
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 5);
const high = Number(process.env.BENCH_CONCURRENCY ?? 64);
const rate = Number(process.env.BENCH_RATE ?? 200);
const catalogSize = Number(process.env.BENCH_PRODUCTS ?? 0);
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined;
const outFile = process.env.BENCH_OUT ?? 'system-cost.json';
const profiled = (process.env.BENCH_PROFILE ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const profileDir = path.join(repoRoot, 'bench', 'profiles');

const mix: Array<[string, number]> = [
  ['search_products', 10],
  ['get_product_details', 6],
  ['add_to_cart', 3],
  ['view_cart', 3],
  ['checkout', 1],
];
const totalWeight = mix.reduce((s, [, w]) => s + w, 0);
const queries = ['running shoes', 'shirt', 'jacket', 'lamp', 'headphones', 'tent', 'mug', 'backpack', 'chair', 'serum', 'puzzle'];
const address = { name: 'Load Tester', line1: '1 Bench Way', city: 'Austin', state: 'TX', postal_code: '78701', country: 'US' };
const checkoutArgs = { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true };

interface Product {
  id: string;
  sizes: string[];
  colors: string[];
}
interface Sample {
  tool: string;
  ms: number;
  error?: string;
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];
const newConversation = () => `conv_bench_${randomBytes(6).toString('hex')}`;
const addArgs = (p: Product) => ({ product_id: p.id, quantity: 1, ...(p.sizes.length ? { size: pick(p.sizes) } : {}), ...(p.colors.length ? { color: pick(p.colors) } : {}) });

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function chooseAction(): string {
  let r = Math.random() * totalWeight;
  for (const [name, w] of mix) if ((r -= w) < 0) return name;
  return 'search_products';
}

/** One MCP connection; every call names its conversation in `_meta`, as a host does. */
class Caller {
  private constructor(private readonly client: Client) {}
  static async connect(mcpUrl: string): Promise<Caller> {
    const client = new Client({ name: 'bench', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
    return new Caller(client);
  }
  async call(tool: string, args: Record<string, unknown>, conversation: string): Promise<{ isError: boolean; text: string; data: Record<string, any> }> {
    const result = (await this.client.callTool({ name: tool, arguments: args, _meta: { 'openai/session': conversation, 'openai/subject': `user_${conversation}`, 'openai/locale': 'en-US' } })) as {
      isError?: boolean;
      content?: Array<{ text?: string }>;
      structuredContent?: Record<string, any>;
    };
    return { isError: Boolean(result.isError), text: (result.content ?? []).map((c) => c.text ?? '').join('\n'), data: result.structuredContent ?? {} };
  }
  close(): Promise<void> {
    return this.client.close().catch(() => undefined);
  }
}

/** What a window records: its calls while measuring, and the CPU and /metrics readings at its edges. */
class Recorder {
  measuring = false;
  samples: Sample[] = [];
  async timed(caller: Caller, tool: string, args: Record<string, unknown>, conversation: string, since?: number) {
    const t = since ?? performance.now();
    let error: string | undefined;
    let out: Awaited<ReturnType<Caller['call']>> | undefined;
    try {
      out = await caller.call(tool, args, conversation);
      if (out.isError) error = out.text.slice(0, 100);
    } catch (e) {
      error = `exception: ${(e as Error).message.slice(0, 100)}`;
    }
    if (this.measuring) this.samples.push({ tool, ms: performance.now() - t, error });
    return out;
  }
}

// ---- the stack's processes and metrics ----

interface Bench {
  stack: Stack;
  groups: ProcessGroup[];
  products: Product[];
  callers: Caller[];
  baselinePerSecond: number;
  /** Each process's own CPU per second while the stack sat idle (timers, sweeps, polling relays). */
  idlePerSecond: Record<string, number>;
}

type Counts = Map<string, { count: number; sum: number }>;

/**
 * Every process's NATS requests served, by subject (count and seconds), and its PostgreSQL
 * queries (`pg:<process>`), from its /metrics.
 */
async function scrapeHops(stack: Stack): Promise<Counts> {
  const counts: Counts = new Map();
  const add = (key: string, field: 'count' | 'sum', v: number) => {
    const entry = counts.get(key) ?? { count: 0, sum: 0 };
    entry[field] += v;
    counts.set(key, entry);
  };
  await Promise.all(
    [...stack.processes.entries()].map(async ([name, p]) => {
      const res = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${stack.apiTokens.service}` } }).catch(() => undefined);
      if (!res?.ok) return;
      for (const line of (await res.text()).split('\n')) {
        const m = /^nats_server_request_duration_seconds_(count|sum)\{subject="([^"]+)",outcome="[^"]*"\} (\S+)$/.exec(line);
        if (m) add(m[2], m[1] as 'count' | 'sum', Number(m[3]));
        const q = /^pg_queries_total\{pool="[^"]*"\} (\S+)$/.exec(line);
        if (q) add(`pg:${name}`, 'count', Number(q[1]));
      }
    }),
  );
  return counts;
}

function queriesPerCall(before: Counts, after: Counts, calls: number) {
  const out: Record<string, number> = {};
  for (const [key, a] of after) {
    if (!key.startsWith('pg:')) continue;
    const n = a.count - (before.get(key)?.count ?? 0);
    if (n > 0 && calls > 0) out[key.slice(3)] = +(n / calls).toFixed(1);
  }
  return out;
}

function hopsPerCall(before: Counts, after: Counts, calls: number) {
  const hops: Record<string, { per_call: number; mean_ms: number }> = {};
  for (const [subject, a] of after) {
    if (subject.startsWith('pg:')) continue;
    const b = before.get(subject) ?? { count: 0, sum: 0 };
    const n = a.count - b.count;
    if (n > 0 && calls > 0) hops[subject] = { per_call: +(n / calls).toFixed(2), mean_ms: +(((a.sum - b.sum) / n) * 1000).toFixed(2) };
  }
  return Object.fromEntries(Object.entries(hops).sort((x, y) => y[1].per_call - x[1].per_call));
}

function processGroups(stack: Stack, dataDir: string): ProcessGroup[] {
  const groups: ProcessGroup[] = [];
  for (const [name, p] of stack.processes) if (p.child?.pid) groups.push({ name, pids: [p.child.pid] });
  const postmaster = findProcess(path.join(dataDir, 'postgres'), /^postgres$/);
  if (postmaster) groups.push({ name: 'postgres', treeRoot: postmaster });
  const nats = findProcess(dataDir, /^nats-server$/);
  if (nats) groups.push({ name: 'nats', pids: [nats] });
  groups.push({ name: 'load generator', pids: [process.pid] });
  return groups;
}

/** CPU of a window: the system's per call (machine less load generator less idle baseline) and each process's. */
function cpuPerCall(bench: Bench, a: CpuReading, b: CpuReading, calls: number) {
  const d = cpuDelta(a, b);
  const loadgen = d.groups['load generator'] ?? 0;
  const system = d.machine - loadgen - bench.baselinePerSecond * d.wall;
  const ms = (s: number) => +((s / Math.max(1, calls)) * 1000).toFixed(2);
  // A process's share is what the calls added to its idle rate (so accounts' sweeps are not billed to add_to_cart).
  const perProcess: Record<string, number> = {};
  let ours = 0;
  for (const [name, s] of Object.entries(d.groups)) {
    if (name === 'load generator') continue;
    const added = Math.max(0, s - (bench.idlePerSecond[name] ?? 0) * d.wall);
    perProcess[name] = ms(added);
    ours += added;
  }
  return {
    system_ms_per_call: ms(system),
    processes_ms_per_call: ms(ours),
    per_process_ms_per_call: perProcess,
    load_generator_ms_per_call: ms(loadgen),
    machine_busy_fraction: +(d.machine / d.wall / 2).toFixed(2),
  };
}

function toolRows(samples: Sample[], elapsed: number) {
  const rows: Record<string, { calls: number; errors: number; p50: number; p95: number; p99: number; per_second: number; error_kinds: string[] }> = {};
  for (const tool of [...new Set(samples.map((s) => s.tool))].sort()) {
    const own = samples.filter((s) => s.tool === tool);
    const ms = own.map((s) => s.ms).sort((x, y) => x - y);
    const errors = own.filter((s) => s.error);
    rows[tool] = {
      calls: own.length,
      errors: errors.length,
      p50: +percentile(ms, 50).toFixed(1),
      p95: +percentile(ms, 95).toFixed(1),
      p99: +percentile(ms, 99).toFixed(1),
      per_second: +(own.length / elapsed).toFixed(1),
      error_kinds: [...new Set(errors.map((e) => e.error!))].slice(0, 3),
    };
  }
  return rows;
}

function printWindow(name: string, w: WindowResult) {
  console.log(`\n${name}: ${w.calls} calls in ${w.seconds.toFixed(1)} s = ${w.calls_per_second.toFixed(1)} calls/s`);
  console.log(`  ${'tool'.padEnd(22)}${'calls'.padStart(7)}${'errors'.padStart(8)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'calls/s'.padStart(9)}`);
  for (const [tool, r] of Object.entries(w.tools)) {
    console.log(`  ${tool.padEnd(22)}${String(r.calls).padStart(7)}${String(r.errors).padStart(8)}${r.p50.toFixed(1).padStart(9)}${r.p95.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${r.per_second.toFixed(1).padStart(9)}`);
    for (const kind of r.error_kinds) console.log(`      error: ${kind}`);
  }
  const c = w.cpu;
  const shares = Object.entries(c.per_process_ms_per_call)
    .map(([n, v]) => `${n} ${v.toFixed(2)}`)
    .join(', ');
  // Below zero only when the machine's other load fell below the idle baseline during the window.
  const system = c.system_ms_per_call >= 0 ? `${c.system_ms_per_call.toFixed(2)} ms` : 'n/a (the machine\'s other load changed)';
  console.log(`  CPU per call: system ${system} (our processes above their idle rate ${c.processes_ms_per_call.toFixed(2)} ms: ${shares}); load generator ${c.load_generator_ms_per_call.toFixed(2)} ms; machine ${Math.round(c.machine_busy_fraction * 100)}% busy`);
  const hops = Object.entries(w.hops)
    .map(([s, h]) => `${s} ×${h.per_call} (${h.mean_ms} ms)`)
    .join(', ');
  if (hops) console.log(`  NATS hops per call (mean server time): ${hops}`);
  const queries = Object.entries(w.pg_queries_per_call)
    .map(([n, q]) => `${n} ${q}`)
    .join(', ');
  if (queries) console.log(`  PostgreSQL queries per call (the relays' and sweeps' polling included): ${queries}`);
}

function summarise<X extends Record<string, unknown>>(bench: Bench, samples: Sample[], cpu: [CpuReading, CpuReading], hops: [Counts, Counts], extra: X) {
  const elapsed = (cpu[1].at - cpu[0].at) / 1000;
  const calls = samples.length;
  return { seconds: elapsed, calls, calls_per_second: calls / elapsed, tools: toolRows(samples, elapsed), cpu: cpuPerCall(bench, cpu[0], cpu[1], calls), hops: hopsPerCall(hops[0], hops[1], calls), pg_queries_per_call: queriesPerCall(hops[0], hops[1], calls), ...extra };
}
type WindowResult = ReturnType<typeof summarise<Record<string, unknown>>>;

/**
 * Closed loop: `concurrency` workers run `step` back to back; the window opens after the warm-up
 * and closes after `seconds` or when every worker has returned (a finite supply of prepared carts).
 */
async function closedLoop(bench: Bench, concurrency: number, step: (rec: Recorder, caller: Caller, worker: number) => Promise<boolean>) {
  const rec = new Recorder();
  const callers = bench.callers.slice(0, concurrency);
  let stop = false;
  let running = concurrency;
  let allDone!: () => void;
  const finished = new Promise<void>((r) => (allDone = r));
  const workers = callers.map(async (caller, i) => {
    try {
      while (!stop && (await step(rec, caller, i)));
    } finally {
      if (--running === 0) allDone();
    }
  });
  await Promise.race([new Promise((r) => setTimeout(r, warmup * 1000)), finished]);
  const hops0 = await scrapeHops(bench.stack);
  const cpu0 = readCpu(bench.groups);
  rec.measuring = true;
  await Promise.race([new Promise((r) => setTimeout(r, seconds * 1000)), finished]);
  rec.measuring = false;
  const cpu1 = readCpu(bench.groups);
  stop = true;
  const hops1 = await scrapeHops(bench.stack);
  await Promise.all(workers);
  return summarise(bench, rec.samples, [cpu0, cpu1], [hops0, hops1], { concurrency });
}

async function restock(stack: Stack, catalogUrl: string): Promise<void> {
  const pool = createPool(stack.databaseUrlFor('catalog'), 1);
  const { rows } = await pool.query<{ id: string }>('select id from variants');
  await pool.end();
  for (let i = 0; i < rows.length; i += 16) {
    await Promise.all(
      rows.slice(i, i + 16).map((r) =>
        fetch(`${catalogUrl}/v1/admin/variants/${r.id}`, { method: 'PATCH', headers: { authorization: `Bearer ${stack.apiTokens.admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ stock: 1_000_000 }) }).then(async (res) => {
          if (!res.ok) throw new Error(`restock ${r.id}: ${res.status} ${await res.text()}`);
        }),
      ),
    );
  }
}

// ---- windows ----

const windows: Record<string, (bench: Bench, concurrency: number) => Promise<WindowResult>> = {
  add_to_cart: (bench, c) => {
    const carts = Array.from({ length: c }, () => ({ conversation: newConversation(), lines: 0 }));
    return closedLoop(bench, c, async (rec, caller, i) => {
      // A fresh cart every 10 adds: a shopper's cart, not one that grows for the whole run.
      if (carts[i].lines >= 10) carts[i] = { conversation: newConversation(), lines: 0 };
      carts[i].lines++;
      await rec.timed(caller, 'add_to_cart', addArgs(pick(bench.products)), carts[i].conversation);
      return true;
    });
  },
  view_cart: async (bench, c) => {
    const conversations = Array.from({ length: c }, () => newConversation());
    await Promise.all(conversations.map(async (conv, i) => {
      for (let n = 0; n < 3; n++) await bench.callers[i].call('add_to_cart', addArgs(pick(bench.products)), conv);
    }));
    return closedLoop(bench, c, async (rec, caller, i) => {
      await rec.timed(caller, 'view_cart', {}, conversations[i]);
      return true;
    });
  },
  search_products: (bench, c) =>
    closedLoop(bench, c, async (rec, caller) => {
      await rec.timed(caller, 'search_products', { query: pick(queries), per_page: 20 }, newConversation());
      return true;
    }),
  place_order: async (bench, c) => {
    // Carts ready to pay for, made before the window: the window times place_order alone. A rough
    // guess of the rate sizes the supply; the window closes early when it runs out.
    const supply = Math.min(3000, Math.ceil((c === 1 ? 20 : 60) * (warmup + seconds)));
    const ready: string[] = [];
    let next = 0;
    await Promise.all(
      bench.callers.slice(0, Math.min(high, bench.callers.length)).map(async (caller) => {
        while (next < supply) {
          next++;
          const conv = newConversation();
          const added = await caller.call('add_to_cart', addArgs(pick(bench.products)), conv);
          const checkout = !added.isError && (await caller.call('update_checkout', checkoutArgs, conv));
          if (checkout && !checkout.isError) ready.push(conv);
        }
      }),
    );
    console.log(`  (place_order c=${c}: ${ready.length} carts prepared)`);
    return closedLoop(bench, c, async (rec, caller) => {
      const conv = ready.pop();
      if (!conv) return false;
      await rec.timed(caller, 'place_order', {}, conv);
      return true;
    });
  },
};

/** One action of the weighted mix (a checkout is view, add if empty, details, place). */
async function mixAction(bench: Bench, rec: Recorder, caller: Caller, conversation: string, arrival?: number): Promise<void> {
  const action = chooseAction();
  const product = pick(bench.products);
  if (action === 'search_products') await rec.timed(caller, 'search_products', { query: pick(queries), per_page: 20 }, conversation, arrival);
  else if (action === 'get_product_details') await rec.timed(caller, 'get_product_details', { product_id: product.id }, conversation, arrival);
  else if (action === 'add_to_cart') await rec.timed(caller, 'add_to_cart', addArgs(product), conversation, arrival);
  else if (action === 'view_cart') await rec.timed(caller, 'view_cart', {}, conversation, arrival);
  else {
    const conv = newConversation();
    const added = await rec.timed(caller, 'add_to_cart', addArgs(product), conv, arrival);
    if (!added || added.isError) return;
    const checkout = await rec.timed(caller, 'update_checkout', checkoutArgs, conv);
    if (!checkout || checkout.isError) return;
    await rec.timed(caller, 'place_order', {}, conv);
  }
}

async function mixWindow(bench: Bench, c: number) {
  const conversations = Array.from({ length: c }, () => newConversation());
  return closedLoop(bench, c, async (rec, caller, i) => {
    await mixAction(bench, rec, caller, conversations[i]);
    return true;
  });
}

/** Open loop: Poisson arrivals at `perSecond`, each a mix action on the next connection; latency from the scheduled arrival. */
async function poissonWindow(bench: Bench, perSecond: number) {
  const rec = new Recorder();
  const conversations = Array.from({ length: 256 }, () => newConversation());
  const inFlight = new Set<Promise<void>>();
  let dropped = 0;
  let late = 0;
  let n = 0;
  const start = performance.now();
  const end = start + (warmup + seconds) * 1000;
  let hops0: Counts = new Map();
  let cpu0: CpuReading | undefined;
  let nextAt = start;
  while (nextAt < end) {
    nextAt += (-Math.log(1 - Math.random()) / perSecond) * 1000;
    const wait = nextAt - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    else if (wait < -10) late++;
    if (!cpu0 && performance.now() >= start + warmup * 1000) {
      hops0 = await scrapeHops(bench.stack);
      cpu0 = readCpu(bench.groups);
      rec.measuring = true;
    }
    // A bound on outstanding work: an overloaded system sheds arrivals (counted) instead of piling up.
    if (inFlight.size >= 2000) {
      dropped++;
      continue;
    }
    const caller = bench.callers[n++ % bench.callers.length];
    const p: Promise<void> = mixAction(bench, rec, caller, pick(conversations), nextAt).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  rec.measuring = false;
  const cpu1 = readCpu(bench.groups);
  const hops1 = await scrapeHops(bench.stack);
  await Promise.all(inFlight);
  return summarise(bench, rec.samples, [cpu0 ?? cpu1, cpu1], [hops0, hops1], { rate_per_second: perSecond, late_arrivals: late, dropped_arrivals: dropped });
}

async function main() {
  if (process.env.E2E_MCP_URL) throw new Error('the bench starts its own stack (its CPU accounting reads the processes it started): unset E2E_MCP_URL');
  const { dataDir, env } = await ownInfraOptions();
  const started = new Date();
  const load0 = loadavg();
  console.log(`bench: ${seconds} s measured after ${warmup} s warm-up per window; c=1 and c=${high}; open loop at ${rate}/s; ${catalogSize ? `${catalogSize} products` : 'the sample store'}`);
  // Every simulated shopper comes from loopback: lift the per-IP limits (as the compose and fault runs do).
  const serviceEnv: Record<string, Record<string, string>> = {
    'mcp-gateway': { RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '1000000', MCP_MAX_SESSIONS_PER_IP: '100000', MCP_MAX_SESSIONS: '100000' },
    ...(catalogSize ? { catalog: { CATALOG_SEED: 'none' } } : {}),
  };
  if (profiled.length) mkdirSync(profileDir, { recursive: true });
  for (const name of profiled) serviceEnv[name] = { ...serviceEnv[name], CPU_PROFILE: path.join(profileDir, `${name}-${Date.now()}.cpuprofile`) };
  const stack = await startStack({ fresh: true, randomPorts: true, dataDir, env, logLevel: 'warn', serviceEnv });
  const callers: Caller[] = [];
  const results: Record<string, unknown> = {};
  try {
    const trust = { nats_users_with_permissions: stack.infra.natsAuth !== null, postgres_role_per_service: stack.databaseRoles.size > 0, service_credentials_on_http: true };
    console.log(`trust boundary: NATS users and permissions ${trust.nats_users_with_permissions ? 'on' : 'OFF'}, a PostgreSQL role per service ${trust.postgres_role_per_service ? 'on' : 'OFF'}, service credentials on HTTP on`);
    if (catalogSize) {
      const t = performance.now();
      const pool = createPool(stack.databaseUrlFor('catalog'), 2);
      await bulkLoad(pool, catalogSize);
      await pool.end();
      console.log(`loaded ${catalogSize} products in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } else {
      await restock(stack, stack.processes.get('catalog')!.url);
    }
    for (let i = 0; i < high; i++) callers.push(await Caller.connect(stack.mcpUrl));
    const products: Product[] = [];
    for (const q of queries) {
      const found = await callers[0].call('search_products', { query: q, per_page: 20 }, newConversation());
      for (const p of found.data.items ?? []) products.push({ id: p.id, sizes: p.sizes, colors: p.colors });
    }
    if (!products.length) throw new Error('no products found by the probe searches');
    const groups = processGroups(stack, dataDir);
    console.log(`processes: ${groups.map((g) => `${g.name} ${g.pids?.join('+') ?? `tree ${g.treeRoot}`}`).join(', ')}`);

    // Idle baseline: the machine's busy CPU with the stack idle, less the bench's own (other
    // sessions' work on a shared machine lands here too, and is what it subtracts), after a pause
    // for the start-up work (restock, probe searches, sessions) to settle.
    await new Promise((r) => setTimeout(r, 2_000));
    const idle0 = readCpu(groups);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idle1 = readCpu(groups);
    const idle = cpuDelta(idle0, idle1);
    const baselinePerSecond = Math.max(0, (idle.machine - (idle.groups['load generator'] ?? 0)) / idle.wall);
    const stackIdle = Object.entries(idle.groups).filter(([n]) => n !== 'load generator').reduce((s, [, v]) => s + v, 0) / idle.wall;
    console.log(`idle baseline: ${(baselinePerSecond * 1000).toFixed(0)} ms CPU per second (the stack's own ${(stackIdle * 1000).toFixed(0)} ms/s); load average ${load0.map((l) => l.toFixed(2)).join(' ')}`);
    const idlePerSecond = Object.fromEntries(Object.entries(idle.groups).map(([n, v]) => [n, v / idle.wall]));
    const bench: Bench = { stack, groups, products, callers, baselinePerSecond, idlePerSecond };

    for (const tool of ['add_to_cart', 'view_cart', 'search_products', 'place_order']) {
      for (const c of [1, high]) {
        const name = `${tool} c=${c}`;
        if (only && !only.has(tool) && !only.has(name)) continue;
        const w = await windows[tool](bench, c);
        printWindow(name, w);
        results[name] = w;
      }
    }
    if (!only || only.has('mix')) {
      const w = await mixWindow(bench, high);
      printWindow(`mix c=${high}`, w);
      results[`mix c=${high}`] = w;
    }
    if (!only || only.has('poisson')) {
      const w = await poissonWindow(bench, rate);
      printWindow(`open loop, Poisson ${rate}/s`, w);
      console.log(`  late arrivals ${w.late_arrivals}, shed ${w.dropped_arrivals}`);
      results[`poisson ${rate}/s`] = w;
    }
    const load1 = loadavg();
    const underLoad = load0[0] > 0.5 || baselinePerSecond > 0.1;
    const out = {
      at: started.toISOString(),
      products: catalogSize || 'sample',
      settings: { seconds, warmup, idle_seconds: idleSeconds, concurrency: high, poisson_rate: rate, mix: Object.fromEntries(mix) },
      trust_boundary: trust,
      machine: { cpus: 2, load_average_before: load0, load_average_after: load1, idle_baseline_ms_per_second: +(baselinePerSecond * 1000).toFixed(0), stack_idle_ms_per_second: +(stackIdle * 1000).toFixed(0) },
      // A shared machine (other work running) inflates the system figure and the latencies; the per-process shares hold up better.
      under_load: underLoad,
      windows: results,
    };
    const dir = path.join(repoRoot, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, outFile), `${JSON.stringify(out, null, 2)}\n`);
    console.log(`\n${underLoad ? 'NOTE: taken on a busy machine (load average or idle baseline high): figures are noisy. ' : ''}figures written to ${path.join('bench', 'results', outFile)}`);
  } finally {
    for (const c of callers) await c.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (profiled.length) console.log(`CPU profiles of ${profiled.join(', ')} in ${path.relative(repoRoot, profileDir)}/`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
