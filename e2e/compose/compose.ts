import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connectNats, createLogger, createPool, type NatsConnection, type NatsSettings, type Pool } from '@shop/kit';
import { DATABASES, eventually, sleep, type Db } from '../faults/harness.js';
import type { Inspected } from '../faults/invariants.js';

const run = promisify(execFile);

/**
 * The running compose project, as e2e/compose/run.sh started it: COMPOSE_PROJECT_NAME (the
 * containers' com.docker.compose.project label), the loopback ports of the test override, and
 * DOCKER, the docker client run.sh picked.
 */
export const env = {
  project: need('COMPOSE_PROJECT_NAME'),
  docker: process.env.DOCKER ?? 'docker',
  pgPort: Number(need('COMPOSE_TEST_PG_PORT')),
  natsPorts: [need('COMPOSE_TEST_NATS_PORT'), process.env.COMPOSE_TEST_NATS2_PORT, process.env.COMPOSE_TEST_NATS3_PORT].filter(Boolean).map(Number),
  mailDir: need('COMPOSE_TEST_MAIL_DIR'),
  mcpUrl: need('E2E_MCP_URL'),
  /** The secrets run.sh generated for the stack (e2e/compose/make-env.mjs). */
  postgresPassword: need('POSTGRES_PASSWORD'),
  natsAdminPassword: need('NATS_PASSWORD_ADMIN'),
  operatorToken: need('HTTP_OPERATOR_TOKEN'),
};

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the compose tests through e2e/compose/run.sh (npm run test:compose)`);
  return v;
}

export async function docker(...args: string[]): Promise<string> {
  return (await run(env.docker, args, { maxBuffer: 16 << 20 })).stdout.trim();
}

export interface ContainerState {
  id: string;
  name: string;
  service: string;
  pid: number;
  running: boolean;
  health: string | undefined;
  restarts: number;
  ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
  networks: Record<string, unknown>;
}

export async function inspect(id: string): Promise<ContainerState> {
  const [c] = JSON.parse(await docker('inspect', id));
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    service: c.Config.Labels['com.docker.compose.service'],
    pid: c.State.Pid,
    running: c.State.Running,
    health: c.State.Health?.Status,
    restarts: c.RestartCount,
    ports: c.NetworkSettings.Ports ?? {},
    networks: c.NetworkSettings.Networks ?? {},
  };
}

/** The containers of one service (several when scaled), in a stable order. */
export async function containersOf(service: string): Promise<ContainerState[]> {
  // docker's label filter, not `docker-compose ps` (a Python start-up per call, seconds each).
  const ids = (await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${env.project}`, '--filter', `label=com.docker.compose.service=${service}`)).split('\n').filter(Boolean);
  const all = await Promise.all(ids.map(inspect));
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

export async function allContainers(): Promise<ContainerState[]> {
  const ids = (await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${env.project}`)).split('\n').filter(Boolean);
  return Promise.all(ids.map(inspect));
}

/**
 * A crash: SIGKILL to the container's main process from the host. The daemon sees the process
 * die on its own and the restart policy applies; `docker kill` would count as a manual stop,
 * after which no policy restarts the container.
 */
export async function crash(c: ContainerState): Promise<void> {
  if (!c.running || !c.pid) throw new Error(`${c.name} is not running`);
  process.kill(c.pid, 'SIGKILL');
}

/** Waits until the container runs again as a new process (the restart policy at work); returns its state. */
export async function restartedByPolicy(before: ContainerState, timeoutMs = 60_000): Promise<ContainerState | undefined> {
  return eventually(async () => {
    const now = await inspect(before.id);
    return now.running && now.pid !== before.pid && now.restarts > before.restarts ? now : undefined;
  }, timeoutMs, 200);
}

/** Waits until every container of the project runs and reports healthy; returns the ones that did not. */
export async function waitAllHealthy(timeoutMs = 120_000): Promise<string[]> {
  let bad: string[] = [];
  await eventually(async () => {
    const all = await allContainers();
    bad = all.filter((c) => !c.running || (c.health !== undefined && c.health !== 'healthy')).map((c) => `${c.name}: ${c.running ? c.health : 'not running'}`);
    return bad.length === 0 && all.length > 0 ? true : undefined;
  }, timeoutMs, 500);
  return bad;
}

export async function hostPort(c: ContainerState, containerPort: number): Promise<number> {
  const binding = c.ports[`${containerPort}/tcp`]?.[0];
  if (!binding) throw new Error(`${c.name} publishes no port for ${containerPort}`);
  return Number(binding.HostPort);
}

/** The project's one network (compose's default network). */
export function networkOf(c: ContainerState): string {
  const names = Object.keys(c.networks);
  if (names.length !== 1) throw new Error(`${c.name} is on ${names.length} networks`);
  return names[0];
}

/**
 * Cuts a container off the network for `ms`, then puts it back under its service's DNS name
 * (compose's alias), as a switch failure would.
 */
export async function partition(c: ContainerState, ms: number, during: () => Promise<void> = async () => undefined): Promise<void> {
  const net = networkOf(c);
  await docker('network', 'disconnect', net, c.id);
  try {
    await Promise.all([sleep(ms), during()]);
  } finally {
    await docker('network', 'connect', '--alias', c.service, net, c.id);
  }
}

/** The checks read every database as the superuser, which no service uses. */
export const CHECKER_APP = 'compose-checker';
export const databaseUrl = (db: Db) => `postgres://postgres:${encodeURIComponent(env.postgresPassword)}@127.0.0.1:${env.pgPort}/${db}?application_name=${CHECKER_APP}`;

const natsUrl = () => env.natsPorts.map((p) => `nats://127.0.0.1:${p}`).join(',');
/** The checks connect to NATS as its admin user (compose/nats.conf). */
const natsAdmin = (): NatsSettings => ({ NATS_URL: natsUrl(), NATS_USER: 'admin', NATS_PASSWORD: env.natsAdminPassword });

/** A connection as a given user (or anonymously), to check what the server lets it do. */
export function natsClientAs(user?: string, password?: string): Promise<NatsConnection> {
  return connectNats(user ? { NATS_URL: natsUrl(), NATS_USER: user, NATS_PASSWORD: password } : natsUrl(), 'compose-checker', createLogger('compose-checker', 'silent'));
}

/** What the fault invariants read: the databases through the published PostgreSQL port, the stream through NATS. */
export function inspected(): Inspected & { close: () => Promise<void> } {
  const db = Object.fromEntries(DATABASES.map((name) => [name, createPool(databaseUrl(name), 3)])) as Record<Db, Pool>;
  return {
    db,
    stack: { prefix: '', infra: { natsUrl: natsUrl(), natsSettings: natsAdmin } },
    close: async () => {
      await Promise.all(Object.values(db).map((p) => p.end().catch(() => undefined)));
    },
  };
}

export async function natsClient(): Promise<NatsConnection> {
  return connectNats(natsAdmin(), 'compose-checker', createLogger('compose-checker', 'silent'));
}

/** Requests each instance of a NATS-services-framework service answered, from $SRV.STATS. */
export async function requestsPerInstance(nc: NatsConnection, service: string): Promise<Map<string, number>> {
  const per = new Map<string, number>();
  const replies = await nc.requestMany(`$SRV.STATS.${service}`, '', { maxWait: 1_500 });
  for await (const m of replies) {
    const stats = m.json<{ id: string; endpoints: Array<{ num_requests: number }> }>();
    per.set(stats.id, stats.endpoints.reduce((n, e) => n + e.num_requests, 0));
  }
  return per;
}
