import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BaseConfig, loadConfig } from '@shop/kit';

/** widgets/dist of the repository, seen from services/mcp-gateway/dist. */
const defaultWidgetsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../widgets/dist');

// The gateway owns no database, so the database settings of the base config do not apply.
export const GatewayConfig = BaseConfig.omit({ DATABASE_URL: true, DB_POOL_MAX: true, SERVICE_NAME: true })
  .extend({
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z.string().url('must be an http(s) URL').default('http://localhost:3000'),
    /** Comma-separated host names accepted in the Host header (DNS-rebinding protection). */
    ALLOWED_HOSTS: z.string().optional(),
    WIDGETS_DIR: z.string().min(1).default(defaultWidgetsDir),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(300),
    /** How long to wait for a domain service on NATS. */
    BUS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  })
  .transform((c) => ({
    ...c,
    PUBLIC_URL: c.PUBLIC_URL.replace(/\/+$/, ''),
    allowedHosts: allowedHostList(c.ALLOWED_HOSTS, c.PUBLIC_URL),
  }));
export type GatewayConfig = z.infer<typeof GatewayConfig>;

export function allowedHostList(list: string | undefined, publicUrl: string): string[] {
  const configured = list
    ?.split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const hosts = configured?.length ? configured : ['localhost', '127.0.0.1', '[::1]'];
  const publicHost = new URL(publicUrl).hostname.toLowerCase();
  return [...new Set([...hosts, publicHost])];
}

export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  return loadConfig(GatewayConfig, env);
}
