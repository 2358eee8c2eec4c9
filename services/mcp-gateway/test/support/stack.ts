import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { freshDatabase, freshPrefix, testEnv, testNatsUrl } from '@shop/kit/testing';
import { start as startGateway } from '../../src/main.js';

/** A port that was free a moment ago, so PUBLIC_URL can name the gateway before it listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Running {
  stop: () => Promise<void>;
  httpUrl: string;
}
type StartFn = (env: Record<string, string>, options?: unknown) => Promise<Running>;

export interface TestStack {
  prefix: string;
  gatewayUrl: string;
  mcpUrl: string;
  serviceUrls: Record<string, string>;
  /** Each domain service's database, by service name (for tests that inspect what was stored). */
  databaseUrls: Record<string, string>;
  /** With `accounts: true`: the accounts service, its mail directory and the private key it signs with. */
  accounts?: { issuer: string; mailDir: string; signingKey: JWK };
  stop: () => Promise<void>;
}

export const DOMAIN_SERVICES = ['catalog', 'cart', 'payments', 'orders'] as const;

/**
 * The whole system in this process: the REAL catalog, cart, payments and orders services (each
 * with a fresh database), sharing one fresh NATS prefix with the gateway under test.
 * `services: []` starts the gateway alone (transport, schema and HTTP tests).
 */
export async function startTestStack(
  opts: {
    services?: readonly string[];
    gatewayEnv?: Record<string, string>;
    serviceEnv?: Record<string, Record<string, string>>;
    /** Also start the accounts service (the OAuth server the gateway trusts); `accountsFetch` serves client metadata documents. */
    accounts?: boolean;
    accountsFetch?: typeof fetch;
  } = {},
): Promise<TestStack> {
  const prefix = freshPrefix();
  const port = await freePort();
  const publicUrl = `http://localhost:${port}`;
  const stoppers: Array<() => Promise<void>> = [];
  const serviceUrls: Record<string, string> = {};
  const databaseUrls: Record<string, string> = {};
  const stop = async () => {
    for (const fn of stoppers.reverse()) await fn().catch(() => undefined);
  };
  try {
    for (const name of opts.services ?? DOMAIN_SERVICES) {
      const db = await freshDatabase(`gw_${name}`);
      stoppers.push(db.drop);
      databaseUrls[name] = db.url;
      const mod = (await import(`@shop/${name}`)) as { start: StartFn };
      const extra: Record<string, string> = name === 'catalog' ? { IMAGE_BASE_URL: `${publicUrl}/images` } : {};
      const running = await mod.start(testEnv(db.url, prefix, { ...extra, ...opts.serviceEnv?.[name] }));
      stoppers.push(running.stop);
      serviceUrls[name] = running.httpUrl;
    }
    let accounts: TestStack['accounts'];
    if (opts.accounts) {
      const db = await freshDatabase('gw_accounts');
      stoppers.push(db.drop);
      databaseUrls.accounts = db.url;
      const accountsPort = await freePort();
      const issuer = `http://127.0.0.1:${accountsPort}`;
      const mailDir = mkdtempSync(path.join(tmpdir(), 'gw-accounts-mail-'));
      // The test holds the signing key, so it can also mint tokens the real JWKS verifies (expired, other audience…).
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const signingKey: JWK = { ...(await exportJWK(privateKey)), kid: 'gw-test-key', alg: 'ES256', use: 'sig' };
      const mod = (await import('@shop/accounts')) as unknown as { start: StartFn };
      const running = await mod.start(
        testEnv(db.url, prefix, {
          HTTP_PORT: String(accountsPort),
          PUBLIC_URL: issuer,
          GATEWAY_RESOURCE: `${publicUrl}/mcp`,
          MAIL_DIR: mailDir,
          ACCOUNTS_KEY_DIR: mkdtempSync(path.join(tmpdir(), 'gw-accounts-keys-')),
          ACCOUNTS_COOKIE_SECRET: 'gateway-test-accounts-cookie-secret',
          ACCOUNTS_SIGNING_KEYS: JSON.stringify({ keys: [signingKey] }),
          ...opts.serviceEnv?.accounts,
        }),
        opts.accountsFetch ? { fetch: opts.accountsFetch } : {},
      );
      stoppers.push(running.stop);
      serviceUrls.accounts = running.httpUrl;
      accounts = { issuer, mailDir, signingKey };
    }
    const gateway = await startGateway({
      NATS_URL: testNatsUrl(),
      NATS_PREFIX: prefix,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      PUBLIC_URL: publicUrl,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...(accounts ? { ACCOUNTS_ISSUER: accounts.issuer } : {}),
      ...opts.gatewayEnv,
    });
    stoppers.push(gateway.stop);
    return { prefix, gatewayUrl: publicUrl, mcpUrl: `${publicUrl}/mcp`, serviceUrls, databaseUrls, accounts, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export type HostMeta = { 'openai/session'?: string; 'openai/subject'?: string };

/** An MCP client over Streamable HTTP, as a host would connect; `meta` goes with every tool call, `token` as its bearer token. */
export async function connectClient(mcpUrl: string, meta?: HostMeta, token?: string) {
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : undefined);
  await client.connect(transport);
  // Output schemas are cached by listTools, so every later result is validated against them.
  await client.listTools();
  const call = async (name: string, args: Record<string, unknown> = {}, extraMeta?: HostMeta) =>
    (await client.callTool({ name, arguments: args, _meta: { ...meta, ...extraMeta } })) as CallToolResult;
  return { client, transport, call, close: () => client.close() };
}

/** The structuredContent of a successful result; fails the test with the error text otherwise. */
export function ok<T = any>(result: CallToolResult): T {
  if (result.isError) throw new Error(`tool failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

export function errorText(result: CallToolResult): string {
  if (!result.isError) throw new Error(`expected a tool error, got ${JSON.stringify(result.structuredContent).slice(0, 300)}`);
  return (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
}
