import { z } from 'zod';
import { AppError, invalidInput } from '@shop/contracts';

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
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
});
export type BaseConfig = z.infer<typeof BaseConfig>;

/** Parses configuration from an environment; a bad value names the variable and the rule. */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  const result = schema.safeParse(withoutEmpty(env));
  if (!result.success) {
    const err = invalidInput(result.error);
    throw new AppError('INVALID_INPUT', `Configuration error: ${err.message}`, err.details);
  }
  return result.data;
}

/**
 * A variable set to "" counts as unset, so its default applies: `FOO: ${FOO:-}` in
 * docker-compose.yml (or `FOO=` in a shell) passes an empty string when the operator set nothing.
 */
export function withoutEmpty(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
}
