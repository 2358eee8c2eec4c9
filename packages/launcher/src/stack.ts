import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commonEnv, passThroughEnv, serviceSpecs, telemetryEnv, type ServiceSpec, type StackUrls } from './services.js';
import { freePort, startInfra, waitFor, type Infra } from './infra.js';
import { canProvisionRoles, databaseUrl, dropServiceRole, provisionServiceDatabase, type ServiceDatabase } from './db-roles.js';
import { randomSecret, SecretStore } from './secrets.js';
import { apiTokenHash, dropDatabase } from '@shop/kit';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface StackOptions {
  /** Fresh databases and subject prefix (tests); otherwise the fixed names `npm start` uses. */
  fresh?: boolean;
  /** Pick free ports instead of the default ones (tests). */
  randomPorts?: boolean;
  /** Where embedded PostgreSQL, the NATS store, logs and mail go. */
  dataDir?: string;
  /** Environment the launcher reads (DATABASE_URL, NATS_URL, secrets). */
  env?: NodeJS.ProcessEnv;
  /** Only these services (default: every service whose build exists). */
  only?: string[];
  logLevel?: string;
  /** Extra environment for one service (test hooks). */
  serviceEnv?: Record<string, Record<string, string>>;
  /** Keep a fresh stack's databases after stop (to inspect a failed run). */
  keepDatabases?: boolean;
  /** Also echo service logs to the console (npm start with LOG_TO_CONSOLE=1). */
  echoLogs?: boolean;
}

export interface RunningProcess {
  spec: ServiceSpec;
  port: number;
  url: string;
  env: Record<string, string>;
  child: ChildProcess | null;
  logFile: string;
}

export interface Stack {
  infra: Infra;
  gatewayUrl: string;
  mcpUrl: string;
  playgroundUrl: string;
  prefix: string;
  processes: Map<string, RunningProcess>;
  /** A service database's URL as the launcher's own (admin) user: for tests and operators, never a service. */
  databaseUrlFor: (database: string) => string;
  /** The role each service database belongs to (absent when DATABASE_URL's user cannot create roles). */
  databaseRoles: Map<string, ServiceDatabase>;
  /** Bearer tokens of the services' internal HTTP APIs (see httpTokens): for tests and operators, never a shopper. */
  apiTokens: HttpTokens;
  /** SIGKILL a service (fault runs). */
  kill: (name: string) => Promise<void>;
  /** Start a killed or stopped service again and wait until it is ready. */
  restart: (name: string) => Promise<void>;
  stop: () => Promise<void>;
}

/** The HTTP API callers the launcher makes: an operator (admin routes too) and an internal tool (service routes). */
export interface HttpTokens {
  admin: string;
  service: string;
  /** The files under `<dataDir>/secrets` holding them (0600). */
  adminFile: string;
  serviceFile: string;
  /** What every service gets as API_TOKENS: the callers, roles and token hashes, never the tokens. */
  verifier: string;
}

export function httpTokens(secrets: SecretStore): HttpTokens {
  const adminFile = secrets.file('http-token-operator');
  const serviceFile = secrets.file('http-token-internal');
  const admin = secrets.get('http-token-operator');
  const service = secrets.get('http-token-internal');
  return { admin, service, adminFile, serviceFile, verifier: `operator:admin:${apiTokenHash(admin)},internal:service:${apiTokenHash(service)}` };
}

function built(spec: ServiceSpec): boolean {
  const main = path.join(repoRoot, spec.dir, 'dist', 'main.js');
  // A service exists once it is more than the empty placeholder module.
  return existsSync(main) && readFileSync(main, 'utf8').trim().length > 20;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const env = opts.env ?? process.env;
  const dataDir = opts.dataDir ?? path.join(repoRoot, '.data');
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  const specs = serviceSpecs.filter((s) => (opts.only ? opts.only.includes(s.name) : built(s)));
  const suffix = opts.fresh ? `_${randomBytes(4).toString('hex')}` : '';
  const prefix = opts.fresh ? `s${randomBytes(4).toString('hex')}.` : (env.NATS_PREFIX ?? '');
  const infra = await startInfra(dataDir, env, { prefix });
  const databaseUrlFor = (db: string) => databaseUrl(infra.databaseUrl, `${db}${suffix}`);

  // One login role per service database, owning it; the services never see the admin URL.
  const databaseRoles = new Map<string, ServiceDatabase>();
  try {
    if (await canProvisionRoles(infra.databaseUrl)) {
      const secrets = new SecretStore(dataDir);
      for (const spec of specs) {
        if (!spec.database) continue;
        const name = `${spec.database}${suffix}`;
        // A fresh stack's roles are dropped with its databases; npm start's are kept with their passwords.
        const s: ServiceDatabase = { database: name, role: name, password: opts.fresh ? randomSecret() : secrets.get(`postgres-${name}`) };
        await provisionServiceDatabase(infra.databaseUrl, s);
        databaseRoles.set(spec.database, s);
      }
    } else {
      infra.notes.push("PostgreSQL: DATABASE_URL's user cannot create roles, so every service connects as that user");
    }
  } catch (e) {
    await infra.stop();
    throw e;
  }
  const serviceDatabaseUrl = (db: string) => {
    const role = databaseRoles.get(db);
    return role ? databaseUrl(infra.databaseUrl, role.database, role) : databaseUrlFor(db);
  };

  const ports = new Map<string, number>();
  for (const s of specs) ports.set(s.name, opts.randomPorts ? await freePort() : s.defaultPort);
  const gatewayPort = ports.get('mcp-gateway') ?? 3000;
  const gatewayUrl = `http://localhost:${gatewayPort}`;
  const urls: StackUrls = {
    gatewayUrl,
    publicUrl: opts.randomPorts ? gatewayUrl : (env.PUBLIC_URL ?? gatewayUrl),
    serviceUrl: (name) => `http://127.0.0.1:${ports.get(name)}`,
    mailDir: path.join(dataDir, opts.fresh ? `mail${suffix}` : 'mail'),
    accountsKeyDir: path.join(dataDir, 'secrets', opts.fresh ? `accounts${suffix}` : 'accounts'),
  };

  const secretStore = new SecretStore(dataDir);
  const apiTokens = httpTokens(secretStore);
  infra.notes.push(`HTTP APIs: operator (admin) token in ${apiTokens.adminFile}, e.g. curl -H "Authorization: Bearer $(cat ${apiTokens.adminFile})"`);

  const processes = new Map<string, RunningProcess>();
  for (const spec of specs) {
    const port = ports.get(spec.name)!;
    const serviceEnv: Record<string, string> = {
      NATS_URL: infra.natsUrl,
      // Only its own NATS user; its password stays in a 0600 file (not in the environment).
      ...(infra.natsAuth ? { NATS_USER: spec.name, NATS_PASSWORD_FILE: infra.natsAuth.passwordFile(spec.name) } : {}),
      NATS_PREFIX: prefix,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      LOG_LEVEL: opts.logLevel ?? env.LOG_LEVEL ?? 'info',
      // The gateway too: its /metrics needs the same service credential as the services' /v1 routes.
      API_TOKENS: apiTokens.verifier,
      ...(spec.database ? { DATABASE_URL: serviceDatabaseUrl(spec.database) } : {}),
      ...(spec.name === 'payments' ? { PAYMENTS_CSRF_SECRET_FILE: secretStore.file('payments-csrf') } : {}),
      ...(spec.name === 'accounts' ? { ACCOUNTS_COOKIE_SECRET_FILE: secretStore.file('accounts-cookie') } : {}),
      ...spec.env(urls),
      ...opts.serviceEnv?.[spec.name],
    };
    for (const name of [...(passThroughEnv[spec.name] ?? []), ...telemetryEnv]) if (env[name]) serviceEnv[name] = env[name]!;
    processes.set(spec.name, { spec, port, url: urls.serviceUrl(spec.name), env: serviceEnv, child: null, logFile: path.join(dataDir, 'logs', `${spec.name}${suffix}.log`) });
  }

  const logs = new Map<string, WriteStream>();
  const launch = async (proc: RunningProcess) => {
    let log = logs.get(proc.spec.name);
    if (!log) {
      log = createWriteStream(proc.logFile, { flags: 'a' });
      logs.set(proc.spec.name, log);
    }
    const child = spawn(process.execPath, [path.join(repoRoot, proc.spec.dir, 'dist', 'main.js')], {
      cwd: repoRoot,
      env: { PATH: env.PATH ?? '', HOME: env.HOME ?? '', ...proc.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.child = child;
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    if (opts.echoLogs) {
      child.stdout!.on('data', (d) => process.stdout.write(`[${proc.spec.name}] ${d}`));
      child.stderr!.on('data', (d) => process.stderr.write(`[${proc.spec.name}] ${d}`));
    }
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitFor(async () => {
      if (exited) throw new Error(`${proc.spec.name} exited during start-up; see ${proc.logFile}:\n${tail(proc.logFile)}`);
      try {
        const res = await fetch(`${proc.url}/readyz`);
        return res.ok;
      } catch {
        return false;
      }
    }, 90_000, `${proc.spec.name} to be ready at ${proc.url}/readyz`).catch((e) => {
      throw new Error(`${(e as Error).message}\n${tail(proc.logFile)}`);
    });
  };

  const stopProcess = (proc: RunningProcess, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const child = proc.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });

  const stack: Stack = {
    infra,
    gatewayUrl,
    mcpUrl: `${gatewayUrl}/mcp`,
    playgroundUrl: `${gatewayUrl}/playground`,
    prefix,
    processes,
    databaseUrlFor,
    databaseRoles,
    apiTokens,
    kill: async (name) => stopProcess(processes.get(name)!, 'SIGKILL'),
    restart: async (name) => {
      const proc = processes.get(name)!;
      await stopProcess(proc, 'SIGTERM');
      await launch(proc);
    },
    stop: async () => {
      for (const proc of [...processes.values()].reverse()) await stopProcess(proc, 'SIGTERM');
      for (const log of logs.values()) log.end();
      // A fresh stack's databases are throwaway: drop them so repeated test runs leave nothing behind.
      if (opts.fresh && !opts.keepDatabases) {
        for (const spec of specs) if (spec.database) await dropDatabase(databaseUrlFor(spec.database)).catch(() => undefined);
        for (const role of databaseRoles.values()) await dropServiceRole(infra.databaseUrl, role.role).catch(() => undefined);
      }
      await infra.stop();
    },
  };

  try {
    for (const proc of processes.values()) await launch(proc);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  return stack;
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Options for a stack on its OWN infrastructure: a launcher-owned embedded PostgreSQL and
 * nats-server (with its authorization) on free ports, data under a new temp dir, so stopping or
 * reconfiguring them never touches the machine's shared servers other test files use.
 */
export async function ownInfraOptions(base: NodeJS.ProcessEnv = process.env): Promise<{ dataDir: string; env: NodeJS.ProcessEnv }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shop-stack-'));
  // As root, embedded PostgreSQL runs as the postgres user, which must reach its data directory.
  chmodSync(dataDir, 0o755);
  const env: NodeJS.ProcessEnv = { ...base, EMBEDDED_PG_PORT: String(await freePort()), EMBEDDED_NATS_PORT: String(await freePort()) };
  for (const name of ['DATABASE_URL', 'NATS_URL', 'NATS_USER', 'NATS_PASSWORD', 'NATS_PASSWORD_FILE', 'MAIL_DIR', 'SMTP_URL']) delete env[name];
  return { dataDir, env };
}
