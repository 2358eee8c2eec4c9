import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError, invalidInput } from '@shop/contracts';

/** What an HTTP credential may do: `admin` is everything `service` is, plus the operator routes. */
export type ApiRole = 'service' | 'admin';
/** One accepted bearer token: who holds it, its role, and the SHA-256 of the token (never the token). */
export interface ApiToken {
  caller: string;
  role: ApiRole;
  sha256: string;
}

/** The SHA-256 (hex) of a bearer token: what API_TOKENS lists, so a service never holds the token itself. */
export function apiTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * API_TOKENS: comma-separated `caller:role:sha256-of-token` entries, e.g.
 * `operator:admin:9f86…,support:service:2c26…`. The caller name is what logs and errors show.
 */
const ApiTokens = z.string().transform((value, ctx): ApiToken[] => {
  const tokens: ApiToken[] = [];
  for (const [i, entry] of value.split(',').map((e) => e.trim()).filter(Boolean).entries()) {
    const m = /^([a-z0-9][a-z0-9_.-]{0,63}):(service|admin):([0-9a-f]{64})$/i.exec(entry);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `entry ${i + 1} must be caller:role:sha256 (role service or admin, sha256 as 64 hex digits)` });
      continue;
    }
    tokens.push({ caller: m[1], role: m[2].toLowerCase() as ApiRole, sha256: m[3].toLowerCase() });
  }
  if (new Set(tokens.map((t) => t.caller)).size !== tokens.length) ctx.addIssue({ code: 'custom', message: 'names a caller twice' });
  return tokens;
});

/** The settings every service shares. Each service extends this with its own. */
export const BaseConfig = z.object({
  SERVICE_NAME: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url('must be a postgres:// URL'),
  /** One URL or several, comma-separated (the nodes of a cluster). */
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  /** This process's own NATS user; unset for an open server (the shared dev/test one). */
  NATS_USER: z.string().min(1).optional(),
  /** Its password, or NATS_PASSWORD_FILE: a file holding it (what the launcher and compose secrets hand over). */
  NATS_PASSWORD: z.string().min(1).optional(),
  NATS_PASSWORD_FILE: z.string().min(1).optional(),
  /** Replicas of the event stream when a service creates it: 3 on a three-node JetStream cluster. */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** Prefix for every subject and stream, so several stacks (tests) share one NATS server. */
  NATS_PREFIX: z
    .string()
    .regex(/^([a-z0-9_-]+\.)?$/i, 'must be empty or a token followed by a dot, e.g. "t42."')
    .default(''),
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535),
  /** Bearer tokens accepted on the internal `/v1` routes (see ApiTokens); unset: every such request is refused. */
  API_TOKENS: ApiTokens.optional(),
  /** Comma-separated host names accepted in the Host header (DNS-rebinding protection); default loopback and the service's name. */
  ALLOWED_HOSTS: z.string().optional(),
  /** Comma-separated browser origins, besides the request's own, that may send POST/PUT/PATCH/DELETE. */
  ALLOWED_ORIGINS: z.string().optional(),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
});
export type BaseConfig = z.infer<typeof BaseConfig>;

export interface LoadConfigOptions {
  /**
   * Secrets this service cannot run without in production (NODE_ENV=production): each must be set
   * (directly or as `<NAME>_FILE`) and not a value the tests use. NATS credentials and the database
   * password are checked for every service.
   */
  productionSecrets?: string[];
}

/** Parses configuration from an environment; a bad value names the variable and the rule. */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env, opts: LoadConfigOptions = {}): z.infer<S> {
  const given = withoutEmpty(env);
  const result = schema.safeParse(given);
  if (!result.success) {
    const err = invalidInput(result.error);
    throw new AppError('INVALID_INPUT', `Configuration error: ${err.message}`, err.details);
  }
  if (given.NODE_ENV === 'production') {
    const problems = productionSecretProblems(given, opts.productionSecrets ?? []);
    if (problems.length) {
      throw new AppError('INVALID_INPUT', `Configuration error (NODE_ENV=production): ${problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`, {
        issues: problems.map((p) => ({ field: p.variable, rule: 'production_secret', message: p.message })),
      });
    }
  }
  return result.data;
}

/**
 * Values only the tests use (kit/testing.ts sets them): production refuses them, so a test
 * configuration can never be deployed by accident.
 */
export const TEST_SECRETS = {
  serviceToken: 'test-service-token-not-secret',
  adminToken: 'test-admin-token-not-secret',
  csrfSecret: 'test-csrf-secret-not-secret',
} as const;

/** Well-known passwords (the compose and image defaults among them) that production refuses. */
const DEFAULT_PASSWORDS = new Set(['postgres', 'password', 'secret', 'changeme', 'nats', 'admin', 'root', 'test']);

function productionSecretProblems(env: Record<string, string | undefined>, required: string[]): Array<{ variable: string; message: string }> {
  const problems: Array<{ variable: string; message: string }> = [];
  const testHashes = [apiTokenHash(TEST_SECRETS.serviceToken), apiTokenHash(TEST_SECRETS.adminToken)];
  const isDefault = (v: string) => DEFAULT_PASSWORDS.has(v.toLowerCase()) || Object.values(TEST_SECRETS).includes(v as never) || testHashes.some((h) => v.toLowerCase().includes(h));
  if (!env.NATS_USER) problems.push({ variable: 'NATS_USER', message: 'is required: every process connects as its own NATS user' });
  if (!env.NATS_PASSWORD && !env.NATS_PASSWORD_FILE) problems.push({ variable: 'NATS_PASSWORD', message: 'is required (or NATS_PASSWORD_FILE)' });
  else if (env.NATS_PASSWORD && isDefault(env.NATS_PASSWORD)) problems.push({ variable: 'NATS_PASSWORD', message: 'is a default or test value' });
  if (env.DATABASE_URL && URL.canParse(env.DATABASE_URL)) {
    const url = new URL(env.DATABASE_URL);
    const password = decodeURIComponent(url.password);
    if (!password) problems.push({ variable: 'DATABASE_URL', message: 'has no password' });
    else if (isDefault(password)) problems.push({ variable: 'DATABASE_URL', message: 'uses a default password' });
    if (decodeURIComponent(url.username) === 'postgres') problems.push({ variable: 'DATABASE_URL', message: 'connects as the superuser postgres: a service connects as its own role' });
  }
  for (const name of required) {
    const value = env[name];
    if (value === undefined && !env[`${name}_FILE`]) problems.push({ variable: name, message: `is required (or ${name}_FILE)` });
    else if (value !== undefined && isDefault(value)) problems.push({ variable: name, message: 'is a default or test value' });
  }
  return problems;
}

/** A secret given as `<NAME>` or as `<NAME>_FILE` (a file holding it, e.g. a compose secret); undefined when neither is set. */
export function readSecret(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name] || undefined;
  const file = env[`${name}_FILE`] || undefined;
  if (value && file) throw new AppError('INVALID_INPUT', `Configuration error: set ${name} or ${name}_FILE, not both`);
  if (!file) return value;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new AppError('INVALID_INPUT', `Configuration error: ${name}_FILE ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!text) throw new AppError('INVALID_INPUT', `Configuration error: ${name}_FILE ${file} is empty`);
  return text;
}

/**
 * A variable set to "" counts as unset, so its default applies: `FOO: ${FOO:-}` in
 * docker-compose.yml (or `FOO=` in a shell) passes an empty string when the operator set nothing.
 */
export function withoutEmpty(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
}
