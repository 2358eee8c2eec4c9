import { z } from 'zod';
import { BaseConfig, loadConfig } from '@shop/kit';

export const AccountsConfig = BaseConfig.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(4105),
  /**
   * The OAuth issuer: the public base URL of this service (no path), what every token's `iss` and the
   * metadata name. Defaults to http://127.0.0.1:<listening port>; hosts such as ChatGPT need https.
   */
  PUBLIC_URL: z.string().url('must be a URL').optional(),
  /** The resource (RFC 8707) tokens are issued for: the gateway's /mcp URL, every access token's `aud`. */
  GATEWAY_RESOURCE: z.string().url('must be the gateway /mcp URL').default('http://localhost:3000/mcp'),
  /**
   * Private signing keys as a JWKS (JSON with a `keys` array; the first signs, the others still verify),
   * or ACCOUNTS_SIGNING_KEYS_FILE. Unset: keys are generated into ACCOUNTS_KEY_DIR on first start.
   */
  ACCOUNTS_SIGNING_KEYS: z.string().min(1).optional(),
  ACCOUNTS_SIGNING_KEYS_FILE: z.string().min(1).optional(),
  ACCOUNTS_KEY_DIR: z.string().min(1).default('.data/accounts'),
  /**
   * Key of the cookies and of the CSRF tokens and code hashes (or ACCOUNTS_COOKIE_SECRET_FILE);
   * unset outside production: a random key per process (sessions end with it).
   */
  ACCOUNTS_COOKIE_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  ACCOUNTS_COOKIE_SECRET_FILE: z.string().min(1).optional(),
  /** Where one-time codes are mailed: SMTP when set, else .eml files in MAIL_DIR (as orders does). */
  SMTP_URL: z.string().url('must be an smtp:// or smtps:// URL').optional(),
  MAIL_DIR: z.string().min(1).default('.data/mail'),
  MAIL_FROM: z.string().min(3).default('Shop accounts <accounts@shop.invalid>'),
  SIGN_IN_CODE_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(600),
  /** Wrong codes accepted for one code before it is spent. */
  SIGN_IN_CODE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** Codes mailed to one address per 15 minutes. */
  SIGN_IN_CODES_PER_WINDOW: z.coerce.number().int().min(1).max(100).default(5),
  /** Wrong passwords in a row before password sign-in pauses for 15 minutes. */
  PASSWORD_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  /**
   * Sign-in posts (code requests, codes, passwords) one IP address may make per 15 minutes, per
   * instance: on top of the per-address limits kept in the database, it slows one client trying many
   * addresses (mail bombing, password spraying).
   */
  SIGN_IN_POSTS_PER_IP: z.coerce.number().int().min(1).max(100_000).default(100),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(3600).max(90 * 86_400).default(30 * 86_400),
  ACCOUNT_SESSION_TTL_SECONDS: z.coerce.number().int().min(300).max(30 * 86_400).default(7 * 86_400),
  /** Behind a TLS-terminating proxy: trust X-Forwarded-Proto/Host for the issuer's URLs and secure cookies. */
  TRUST_PROXY: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** How often expired codes, sessions and OAuth records are deleted. */
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
});
export type AccountsConfig = z.infer<typeof AccountsConfig>;

export function loadAccountsConfig(env: Record<string, string | undefined>): AccountsConfig {
  return loadConfig(AccountsConfig, env, { productionSecrets: ['API_TOKENS', 'ACCOUNTS_COOKIE_SECRET', 'ACCOUNTS_SIGNING_KEYS'] });
}
