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

  it('passes `docker-compose config -q` when the tool is installed', () => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    if (probe.error) {
      console.warn('docker-compose is not installed; .ci/run installs it. Skipping the syntax check here.');
      return;
    }
    const result = spawnSync('docker-compose', ['-f', composeFile, 'config', '-q'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
