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
    /** production: browser origins on loopback are no longer allowed to call /mcp. */
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PUBLIC_URL: z.string().url('must be an http(s) URL').default('http://localhost:3000'),
    /** Comma-separated host names accepted in the Host header (DNS-rebinding protection). */
    ALLOWED_HOSTS: z.string().optional(),
    WIDGETS_DIR: z.string().min(1).default(defaultWidgetsDir),
    /**
     * The widgets' dedicated sandbox origin, sent as `ui.domain` and `openai/widgetDomain` (app
     * submission needs it). Its format is each host's; defaults to PUBLIC_URL's origin.
     */
    WIDGET_DOMAIN: z.string().trim().min(1).max(253).optional(),
    /** The payments service's public URL: the checkout-link pages the widgets open (ChatGPT's redirect_domains). */
    PAYMENTS_PUBLIC_URL: z.string().url('must be an http(s) URL').optional(),
    /** Comma-separated browser origins allowed to call /mcp besides PUBLIC_URL's. */
    ALLOWED_ORIGINS: z.string().optional(),
    /** Requests per minute per shopper identity. */
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(300),
    /** Requests per minute per client IP; higher, since many shoppers can share a host's egress IP. */
    RATE_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1200),
    /** Express `trust proxy`: 'false' (default), 'true', a hop count, or a list of proxy addresses. */
    TRUST_PROXY: z.string().default('false'),
    /** MCP sessions kept at once, in all and per client IP; idle ones are closed after MCP_SESSION_IDLE_S. */
    MCP_MAX_SESSIONS: z.coerce.number().int().min(1).max(1_000_000).default(2000),
    MCP_MAX_SESSIONS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(100),
    MCP_SESSION_IDLE_S: z.coerce.number().int().min(1).max(86_400).default(1800),
    /**
     * The accounts service's OAuth issuer (its public URL): every access token's `iss`, and the
     * authorization server the protected resource metadata names.
     */
    ACCOUNTS_ISSUER: z.string().url('must be the accounts public URL').default('http://localhost:4105'),
    /** Where the gateway fetches the issuer's signing keys; defaults to <ACCOUNTS_ISSUER>/oauth/jwks (compose: the internal host). */
    ACCOUNTS_JWKS_URL: z.string().url('must be an http(s) URL').optional(),
    /** How long an answer on a token's grant is reused: at most this long does a disconnected app keep working. */
    GRANT_CHECK_CACHE_S: z.coerce.number().int().min(0).max(3600).default(30),
    /** How long to wait for a domain service on NATS. */
    BUS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  })
  .transform((c) => ({
    ...c,
    PUBLIC_URL: c.PUBLIC_URL.replace(/\/+$/, ''),
    ACCOUNTS_ISSUER: c.ACCOUNTS_ISSUER.replace(/\/+$/, ''),
    jwksUrl: c.ACCOUNTS_JWKS_URL ?? `${c.ACCOUNTS_ISSUER.replace(/\/+$/, '')}/oauth/jwks`,
    allowedHosts: allowedHostList(c.ALLOWED_HOSTS, c.PUBLIC_URL),
    allowedOrigins: (c.ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    trustProxy: trustProxySetting(c.TRUST_PROXY),
    widgetDomain: c.WIDGET_DOMAIN ?? new URL(c.PUBLIC_URL).origin,
    linkOrigins: c.PAYMENTS_PUBLIC_URL ? [new URL(c.PAYMENTS_PUBLIC_URL).origin] : [],
  }))
  .superRefine((c, ctx) => {
    for (const o of c.allowedOrigins) {
      if (!URL.canParse(o)) ctx.addIssue({ code: 'custom', path: ['ALLOWED_ORIGINS'], message: `${JSON.stringify(o)} is not an origin URL` });
    }
  });
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

function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value;
}

export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  return loadConfig(GatewayConfig, env);
}
