import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parse } from 'yaml';
import { commonEnv, passThroughEnv, serviceSpecs, repoRoot } from '../src/index.js';

const composeFile = path.join(repoRoot, 'docker-compose.yml');
const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as { services: Record<string, { environment?: Record<string, string>; command?: string[]; healthcheck?: unknown; depends_on?: Record<string, { condition: string }> }> };
const stackUrls = { gatewayUrl: 'x', publicUrl: 'x', serviceUrl: () => 'x', mailDir: 'x' };

describe('docker-compose.yml matches the launcher', () => {
  it('names exactly the launcher services plus postgres and nats', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['nats', 'postgres', ...serviceSpecs.map((s) => s.name)].sort());
  });

  for (const spec of serviceSpecs) {
    it(`${spec.name}: same environment variables, command, healthcheck and dependencies`, () => {
      const svc = compose.services[spec.name];
      const expected = new Set<string>([...commonEnv, ...Object.keys(spec.env(stackUrls)), ...(passThroughEnv[spec.name] ?? [])]);
      if (spec.database) expect(svc.environment?.DATABASE_URL).toMatch(new RegExp(`/${spec.database}$`));
      if (spec.database) expected.add('DATABASE_URL');
      expect(new Set(Object.keys(svc.environment ?? {}))).toEqual(expected);
      expect(svc.command).toEqual(['node', `${spec.dir}/dist/main.js`]);
      expect(svc.environment?.HTTP_PORT).toBe(String(spec.defaultPort));
      expect(svc.healthcheck).toBeTruthy();
      expect(svc.depends_on?.nats?.condition).toBe('service_healthy');
    });
  }

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
      expect(cmd).toContain('-js');
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
    for (const files of [[composeFile], [composeFile, path.join(repoRoot, 'docker-compose.cluster.yml')]]) {
      const result = spawnSync('docker-compose', [...files.flatMap((f) => ['-f', f]), 'config', '-q'], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
  });
});
