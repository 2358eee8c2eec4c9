import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiTokenHash, readSecret, TEST_SECRETS } from '../src/config.js';
import { TEST_API_TOKENS } from '../src/testing.js';
import { loadCartConfig } from '../../../services/cart/src/config.js';
import { loadCatalogConfig } from '../../../services/catalog/src/config.js';
import { loadGatewayConfig } from '../../../services/mcp-gateway/src/config.js';
import { loadOrdersConfig } from '../../../services/orders/src/config.js';
import { loadPaymentsConfig } from '../../../services/payments/src/config.js';

const secretsDir = mkdtempSync(path.join(os.tmpdir(), 'prod-secrets-'));
const natsFile = path.join(secretsDir, 'nats');
writeFileSync(natsFile, 'b3f1c0d2e4a5968778695a4b3c2d1e0f\n');
const strong = 'Zq8rV2xK9mL4pT7wN1cB6hJ3';

/** A complete production configuration of a service with its own role, NATS user and tokens. */
function production(service: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HTTP_PORT: '4100',
    DATABASE_URL: `postgres://${service}:${strong}@postgres:5432/${service}`,
    NATS_USER: service,
    NATS_PASSWORD_FILE: natsFile,
    API_TOKENS: `operator:admin:${apiTokenHash(`${strong}-admin`)},internal:service:${apiTokenHash(`${strong}-service`)}`,
    PAYMENTS_CSRF_SECRET: `${strong}-csrf`,
  };
}

const loaders: Record<string, (env: Record<string, string | undefined>) => unknown> = {
  catalog: loadCatalogConfig,
  cart: loadCartConfig,
  orders: loadOrdersConfig,
  payments: loadPaymentsConfig,
};

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('NODE_ENV=production refuses missing and default secrets, naming the variable', () => {
  for (const [name, load] of Object.entries(loaders)) {
    it(`${name}: a complete configuration starts; each missing secret is named`, () => {
      expect(() => load(production(name))).not.toThrow();
      for (const variable of ['API_TOKENS', 'NATS_USER', 'NATS_PASSWORD_FILE', ...(name === 'payments' ? ['PAYMENTS_CSRF_SECRET'] : [])]) {
        const env = { ...production(name), [variable]: undefined };
        const text = message(() => load(env));
        expect(text).toContain('NODE_ENV=production');
        expect(text).toContain(variable.replace('_FILE', ''));
      }
    });

    it(`${name}: the test tokens, the compose default password, and the superuser are refused`, () => {
      expect(message(() => load({ ...production(name), API_TOKENS: TEST_API_TOKENS }))).toMatch(/API_TOKENS is a default or test value/);
      expect(message(() => load({ ...production(name), DATABASE_URL: `postgres://${name}:postgres@postgres:5432/${name}` }))).toMatch(/DATABASE_URL uses a default password/);
      expect(message(() => load({ ...production(name), DATABASE_URL: `postgres://${name}@postgres:5432/${name}` }))).toMatch(/DATABASE_URL has no password/);
      expect(message(() => load({ ...production(name), DATABASE_URL: `postgres://postgres:${strong}@postgres:5432/${name}` }))).toMatch(/DATABASE_URL connects as the superuser postgres/);
      expect(message(() => load({ ...production(name), NATS_PASSWORD_FILE: undefined, NATS_PASSWORD: 'nats' }))).toMatch(/NATS_PASSWORD is a default or test value/);
    });
  }

  it('payments: the test CSRF secret is refused; the secret may come from a file', () => {
    expect(message(() => loadPaymentsConfig({ ...production('payments'), PAYMENTS_CSRF_SECRET: TEST_SECRETS.csrfSecret }))).toMatch(/PAYMENTS_CSRF_SECRET is a default or test value/);
    const file = path.join(secretsDir, 'csrf');
    writeFileSync(file, `${strong}-file\n`);
    const env = { ...production('payments'), PAYMENTS_CSRF_SECRET: undefined, PAYMENTS_CSRF_SECRET_FILE: file };
    expect(() => loadPaymentsConfig(env)).not.toThrow();
    expect(readSecret(env, 'PAYMENTS_CSRF_SECRET')).toBe(`${strong}-file`);
    expect(message(() => readSecret({ PAYMENTS_CSRF_SECRET: 'a', PAYMENTS_CSRF_SECRET_FILE: file }, 'PAYMENTS_CSRF_SECRET'))).toMatch(/not both/);
    expect(message(() => readSecret({ PAYMENTS_CSRF_SECRET_FILE: path.join(secretsDir, 'missing') }, 'PAYMENTS_CSRF_SECRET'))).toMatch(/cannot be read \(ENOENT\)/);
  });

  it('the gateway needs its NATS credentials in production (it has no database or internal API)', () => {
    const env = { NODE_ENV: 'production', PUBLIC_URL: 'https://shop.example', NATS_USER: 'mcp-gateway', NATS_PASSWORD_FILE: natsFile };
    expect(() => loadGatewayConfig(env)).not.toThrow();
    expect(message(() => loadGatewayConfig({ ...env, NATS_USER: undefined }))).toMatch(/NATS_USER is required/);
  });

  it('outside production the same gaps are allowed (development, tests)', () => {
    expect(() => loadCatalogConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' })).not.toThrow();
  });
});

describe('API_TOKENS', () => {
  const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', HTTP_PORT: '1' };
  it('parses caller:role:sha256 entries and names a bad one', () => {
    const hash = apiTokenHash('x');
    expect(loadCatalogConfig({ ...base, API_TOKENS: `ops:admin:${hash}, bot:service:${hash.toUpperCase()}` }).API_TOKENS).toEqual([
      { caller: 'ops', role: 'admin', sha256: hash },
      { caller: 'bot', role: 'service', sha256: hash },
    ]);
    expect(message(() => loadCatalogConfig({ ...base, API_TOKENS: `ops:root:${hash}` }))).toMatch(/API_TOKENS: entry 1 must be caller:role:sha256/);
    expect(message(() => loadCatalogConfig({ ...base, API_TOKENS: 'ops:admin:not-a-hash' }))).toMatch(/API_TOKENS/);
    expect(message(() => loadCatalogConfig({ ...base, API_TOKENS: `ops:admin:${hash},ops:service:${hash}` }))).toMatch(/names a caller twice/);
  });
});
