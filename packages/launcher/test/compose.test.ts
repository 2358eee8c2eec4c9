import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { commonEnv, natsServerConfig, natsUserNames, passThroughEnv, passwordEnvName, serviceSpecs, repoRoot, telemetryEnv } from '../src/index.js';

const composeFile = path.join(repoRoot, 'docker-compose.yml');
const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; command?: string[]; healthcheck?: unknown; depends_on?: Record<string, { condition: string }>; ports?: string[]; volumes?: string[] }>;
};
const stackUrls = { gatewayUrl: 'x', publicUrl: 'x', serviceUrl: () => 'x', mailDir: 'x', accountsKeyDir: 'x' };

/**
 * Credentials compose hands over itself (the launcher adds its own): the service's NATS user and
 * password, API_TOKENS for every process (internal /v1 routes, /metrics), and the per-service keys.
 */
const credentialEnv = (name: string): string[] => [
  'NATS_USER',
  'NATS_PASSWORD',
  'API_TOKENS',
  ...(name === 'payments' ? ['PAYMENTS_CSRF_SECRET'] : []),
  ...(name === 'accounts' ? ['ACCOUNTS_COOKIE_SECRET'] : []),
];
/** `${NAME:?...}` or `${NAME:-...}` in the raw file: the variable a value is read from. */
const varOf = (value: string | undefined) => /\$\{([A-Z0-9_]+):[?-]/.exec(value ?? '')?.[1];
/** Published to the host: the MCP endpoint, the payment pages and the sign-in pages, nothing internal. */
const PUBLIC = ['mcp-gateway', 'payments', 'accounts'];

describe('docker-compose.yml matches the launcher', () => {
  it('names exactly the launcher services plus postgres and nats', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['nats', 'postgres', ...serviceSpecs.map((s) => s.name)].sort());
  });

  for (const spec of serviceSpecs) {
    it(`${spec.name}: same environment variables, command, healthcheck and dependencies`, () => {
      const svc = compose.services[spec.name];
      const expected = new Set<string>([...commonEnv, ...Object.keys(spec.env(stackUrls)), ...(passThroughEnv[spec.name] ?? []), ...telemetryEnv, ...credentialEnv(spec.name)]);
      if (spec.database) {
        // Its own role and password, never the superuser.
        const db = spec.database;
        expect(svc.environment?.DATABASE_URL).toBe(`postgres://${db}:\${POSTGRES_PASSWORD_${db.toUpperCase()}:?}@postgres:5432/${db}`);
        expected.add('DATABASE_URL');
      }
      // Its own NATS user (named as in nats-auth.ts) and only its own password.
      expect(svc.environment?.NATS_USER).toBe(spec.name);
      expect(varOf(svc.environment?.NATS_PASSWORD)).toBe(passwordEnvName(spec.name));
      expect(compose.services.nats.environment?.[passwordEnvName(spec.name)]).toBe(svc.environment?.NATS_PASSWORD);
      expect(new Set(Object.keys(svc.environment ?? {}))).toEqual(expected);
      expect(svc.command).toEqual(['node', `${spec.dir}/dist/main.js`]);
      expect(svc.environment?.HTTP_PORT).toBe(String(spec.defaultPort));
      expect(svc.healthcheck).toBeTruthy();
      expect(svc.depends_on?.nats?.condition).toBe('service_healthy');
    });
  }

  it('publishes only the public endpoints; no service has the postgres or another service\'s secrets', () => {
    const published = Object.entries(compose.services).filter(([, svc]) => svc.ports?.length).map(([name]) => name);
    expect(published.sort()).toEqual([...PUBLIC].sort());
    for (const spec of serviceSpecs) {
      const vars = Object.values(compose.services[spec.name].environment ?? {}).map(varOf).filter(Boolean);
      expect(vars).not.toContain('POSTGRES_PASSWORD');
      const others = serviceSpecs.filter((o) => o.name !== spec.name);
      for (const o of others) {
        expect(vars).not.toContain(passwordEnvName(o.name));
        if (o.database) expect(vars).not.toContain(`POSTGRES_PASSWORD_${o.database.toUpperCase()}`);
      }
    }
  });

  it('compose/nats.conf is what the permission table generates, and nats gets a password for every user', () => {
    const generated = natsServerConfig({ listen: '0.0.0.0:4222', storeDir: '/data', prefix: '', password: (u) => ({ env: passwordEnvName(u) }) });
    expect(readFileSync(path.join(repoRoot, 'compose/nats.conf'), 'utf8')).toBe(generated);
    expect(compose.services.nats.command).toEqual(['-c', '/etc/nats/nats.conf', '-m', '8222']);
    expect(compose.services.nats.volumes).toContain('./compose/nats.conf:/etc/nats/nats.conf:ro');
    expect(Object.keys(compose.services.nats.environment ?? {}).sort()).toEqual(natsUserNames().map(passwordEnvName).sort());
  });

  it('the postgres init script makes a role and a database for every service database, with the passwords compose passes', () => {
    const init = readFileSync(path.join(repoRoot, 'compose/postgres-init.sh'), 'utf8');
    const dbs = serviceSpecs.flatMap((s) => (s.database ? [s.database] : []));
    expect(/^for db in (.+); do$/m.exec(init)?.[1].split(' ').sort()).toEqual([...dbs].sort());
    expect(compose.services.postgres.volumes).toContain('./compose/postgres-init.sh:/docker-entrypoint-initdb.d/10-service-roles.sh:ro');
    expect(Object.keys(compose.services.postgres.environment ?? {}).sort()).toEqual(['POSTGRES_PASSWORD', ...dbs.map((d) => `POSTGRES_PASSWORD_${d.toUpperCase()}`)].sort());
  });

  it('takes its images from POSTGRES_IMAGE, NATS_IMAGE and NODE_IMAGE, defaulting to the upstream ones', () => {
    const raw = readFileSync(composeFile, 'utf8');
    expect(raw).toContain('image: ${POSTGRES_IMAGE:-postgres:16-alpine}');
    expect(raw).toContain('image: ${NATS_IMAGE:-nats:2.10-alpine}');
    expect(raw).toContain('NODE_IMAGE: ${NODE_IMAGE:-node:26-bookworm-slim}');
    expect(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8')).toMatch(/^ARG NODE_IMAGE=node:26-bookworm-slim$/m);
  });

  it('docker-compose.cluster.yml: three JetStream nodes routed to each other; every service gets all three URLs and 3 stream replicas', () => {
    const cluster = parse(readFileSync(path.join(repoRoot, 'docker-compose.cluster.yml'), 'utf8'), { merge: true }) as typeof compose;
    const nodes = ['nats', 'nats-2', 'nats-3'];
    for (const node of nodes) {
      const cmd = cluster.services[node].command!;
      expect(cmd.slice(0, 2)).toEqual(['-c', '/etc/nats/nats.conf']);
      const routes = cmd[cmd.indexOf('--routes') + 1].split(',');
      expect(routes.sort()).toEqual(nodes.filter((n) => n !== node).map((n) => `nats://${n}:6222`).sort());
    }
    const urls = nodes.map((n) => `nats://${n}:4222`).join(',');
    for (const spec of serviceSpecs) {
      expect(cluster.services[spec.name].environment?.NATS_URL).toBe(urls);
      if (spec.database) expect(cluster.services[spec.name].environment?.NATS_STREAM_REPLICAS).toBe('3');
      expect(Object.keys(cluster.services[spec.name].depends_on ?? {}).sort()).toEqual(['nats-2', 'nats-3']);
    }
  });

  it('passes `docker-compose config -q` when the tool is installed', () => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    if (probe.error) {
      console.warn('docker-compose is not installed; .ci/run installs it. Skipping the syntax check here.');
      return;
    }
    // The secrets are required variables: .env.example must name every one (its placeholders suffice here).
    const example = path.join(repoRoot, '.env.example');
    const empty = path.join(mkdtempSync(path.join(os.tmpdir(), 'compose-env-')), 'empty.env');
    writeFileSync(empty, '');
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(POSTGRES_PASSWORD|NATS_PASSWORD|API_TOKENS|PAYMENTS_CSRF|ACCOUNTS_)/.test(k)));
    for (const files of [[composeFile], [composeFile, path.join(repoRoot, 'docker-compose.cluster.yml')]]) {
      const args = [...files.flatMap((f) => ['-f', f]), 'config', '-q'];
      const bare = spawnSync('docker-compose', ['--env-file', empty, ...args], { encoding: 'utf8', env: clean });
      expect(bare.stderr).toMatch(/Missing mandatory value|required variable \w+ is missing/); // without the secrets, compose refuses (v1 / v2 wording)
      expect(bare.status).not.toBe(0);
      const result = spawnSync('docker-compose', ['--env-file', example, ...args], { encoding: 'utf8', env: clean });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
  });
});
