import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { apiTokenHash, TEST_SECRETS } from './config.js';
import { dropDatabase, ensureDatabase } from './db.js';

/** The API_TOKENS testEnv gives every service: one service and one admin caller (values production refuses). */
export const TEST_API_TOKENS = `test-service:service:${apiTokenHash(TEST_SECRETS.serviceToken)},test-admin:admin:${apiTokenHash(TEST_SECRETS.adminToken)}`;
/** Headers of a caller holding the test service token / admin token. */
export const serviceHeaders = { authorization: `Bearer ${TEST_SECRETS.serviceToken}` } as const;
export const adminHeaders = { authorization: `Bearer ${TEST_SECRETS.adminToken}` } as const;

/** The Postgres server tests use: TEST_DATABASE_URL, else the local one CI starts. */
export function testServerUrl(): string {
  return process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}
export function testNatsUrl(): string {
  return process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
}

/** A fresh, uniquely named database for one test file; drop() removes it. */
export async function freshDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const url = new URL(testServerUrl());
  url.pathname = `/t_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(url.toString());
  return { url: url.toString(), drop: () => dropDatabase(url.toString()) };
}

/** Reads until `ok` holds or `timeoutMs` passes; the last read either way, for the test to assert on. */
export async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A unique subject prefix so concurrent test files never answer each other's requests. */
export function freshPrefix(): string {
  return `t${randomBytes(5).toString('hex')}.`;
}

/** Environment for starting a service in a test against fresh infrastructure. */
export function testEnv(databaseUrl: string, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    NATS_URL: testNatsUrl(),
    NATS_PREFIX: prefix,
    HTTP_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    API_TOKENS: TEST_API_TOKENS,
    PAYMENTS_CSRF_SECRET: TEST_SECRETS.csrfSecret,
    ...extra,
  };
}

/**
 * What a shopper's browser does on an HTML page: load it, then submit the form whose action ends
 * with `actionSuffix`, hidden fields (the CSRF token) included, with the page's own Origin.
 */
export async function submitPageForm(pageUrl: string, actionSuffix: string): Promise<Response> {
  const page = await fetch(pageUrl);
  const html = await page.text();
  if (!page.ok) throw new Error(`page ${pageUrl} answered ${page.status}: ${html.slice(0, 200)}`);
  const form = [...html.matchAll(/<form\b[^>]*\baction="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].find((m) => m[1].endsWith(actionSuffix));
  if (!form) throw new Error(`page ${pageUrl} has no form posting to …${actionSuffix}`);
  const fields = new URLSearchParams();
  for (const input of form[2].matchAll(/<input\b[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"/g)) fields.append(input[1], input[2]);
  const origin = new URL(pageUrl).origin;
  return fetch(new URL(form[1], pageUrl), { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body: fields });
}

/** One HTTP request with any headers, Host included (fetch always sends the URL's host). */
export function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const body = opts.body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(opts.body)) } : {};
    // A connection per request: a refusal answered before the body was read must not spoil the next request.
    const req = httpRequest(url, { method: opts.method ?? 'GET', agent: false, headers: { ...body, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * The HTTP trust boundary of a service, route by route from its own OpenAPI document (so a route
 * added later is checked too): every route not listed public answers 401 UNAUTHENTICATED with
 * `WWW-Authenticate: Bearer` without a token and with a wrong one; every admin route answers 403
 * FORBIDDEN to the service token; public routes answer without a credential. Returns what broke.
 */
export async function httpBoundaryProblems(
  baseUrl: string,
  routes: { public: string[]; admin: string[] },
  /** Headers of a valid service credential: the test one by default, a launcher's in a stack test. */
  asServiceHeaders: Record<string, string> = serviceHeaders,
): Promise<{ checked: string[]; problems: string[] }> {
  const doc = JSON.parse((await rawRequest(`${baseUrl}/v1/openapi.json`)).text) as { paths: Record<string, Record<string, unknown>> };
  const problems: string[] = [];
  const checked: string[] = [];
  const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
  const all = [...new Set(['GET /v1/openapi.json', ...documented])];
  for (const listed of [...routes.public, ...routes.admin]) if (!all.includes(listed)) problems.push(`${listed} is not in the OpenAPI document`);
  const sample = (route: string) => route.split(' ')[1].replace(/:file\b/, `${SAMPLE_ID}.svg`).replace(/:\w+/g, SAMPLE_ID);
  for (const route of all) {
    const method = route.split(' ')[0];
    const url = `${baseUrl}${sample(route)}`;
    const body = method === 'GET' ? undefined : '{}';
    checked.push(route);
    const anonymous = await rawRequest(url, { method, body });
    if (routes.public.includes(route)) {
      if (anonymous.status === 401) problems.push(`${route} is public but demanded a credential`);
      continue;
    }
    const wrong = await rawRequest(url, { method, body, headers: { authorization: 'Bearer not-a-token-of-this-service' } });
    for (const [what, res] of [['no credential', anonymous], ['a wrong token', wrong]] as const) {
      const code = safeJson(res.text)?.error?.code;
      if (res.status !== 401 || code !== 'UNAUTHENTICATED') problems.push(`${route} with ${what}: ${res.status} ${code ?? res.text.slice(0, 80)}, expected 401 UNAUTHENTICATED`);
      else if (!/^Bearer\b/.test(String(res.headers['www-authenticate']))) problems.push(`${route} with ${what}: no WWW-Authenticate: Bearer`);
    }
    const asService = await rawRequest(url, { method, body, headers: asServiceHeaders });
    const serviceCode = safeJson(asService.text)?.error?.code;
    if (routes.admin.includes(route)) {
      if (asService.status !== 403 || serviceCode !== 'FORBIDDEN') problems.push(`${route} is an admin route but the service token got ${asService.status} ${serviceCode ?? ''}`);
    } else if (asService.status === 401 || asService.status === 403) {
      problems.push(`${route} refused the service token: ${asService.status} ${serviceCode}`);
    }
  }
  return { checked, problems };
}

const SAMPLE_ID = '00000000-0000-4000-8000-000000000000';

function safeJson(text: string): { error?: { code?: string } } | undefined {
  try {
    return JSON.parse(text) as { error?: { code?: string } };
  } catch {
    return undefined;
  }
}
