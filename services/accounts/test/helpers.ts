import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { start, type RunningAccounts, type StartOptions } from '../src/main.js';

export const GATEWAY_RESOURCE = 'http://localhost:3999/mcp';

export interface Stack {
  svc: RunningAccounts;
  mailDir: string;
  keyDir: string;
  close(): Promise<void>;
}

export async function bootAccounts(label: string, extra: Record<string, string> = {}, options: StartOptions = {}): Promise<Stack> {
  const db = await freshDatabase(label);
  const mailDir = mkdtempSync(path.join(tmpdir(), 'accounts-mail-'));
  const keyDir = mkdtempSync(path.join(tmpdir(), 'accounts-keys-'));
  const svc = await start(testEnv(db.url, freshPrefix(), { GATEWAY_RESOURCE, MAIL_DIR: mailDir, ACCOUNTS_KEY_DIR: keyDir, ACCOUNTS_COOKIE_SECRET: 'test-accounts-cookie-secret', ...extra }), options);
  return {
    svc,
    mailDir,
    keyDir,
    close: async () => {
      await svc.stop();
      await db.drop();
    },
  };
}

/** The newest one-time code mailed to `email` (the .eml files the service writes into MAIL_DIR). */
export function codeFromMail(mailDir: string, email: string): string {
  const files = readdirSync(mailDir)
    .filter((f) => f.endsWith('.eml') && f.includes(email))
    .sort();
  if (!files.length) throw new Error(`no mail to ${email} in ${mailDir}`);
  const text = readFileSync(path.join(mailDir, files.at(-1)!), 'utf8');
  const m = /one-time code to [^\n]* is (\d{6})\./.exec(text);
  if (!m) throw new Error(`no code in ${files.at(-1)}`);
  return m[1];
}

export function mailCount(mailDir: string, email: string): number {
  return readdirSync(mailDir).filter((f) => f.endsWith('.eml') && f.includes(email)).length;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * What a browser does, in plain HTTP: keeps cookies (every path; the tests need no finer rule),
 * sends its Origin on form posts, and follows redirects only on this origin (the app's
 * redirect_uri is where the test stops and reads the code).
 */
export class Browser {
  readonly jar = new Map<string, string>();
  constructor(readonly origin: string) {}

  private cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now()));
      if (expired || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  /** One request, no redirect followed. */
  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { cookie: this.cookieHeader(), ...init.headers };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin ??= this.origin;
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(new URL(url, this.origin), { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.keep(res);
    return res;
  }

  /** Follows same-origin redirects; returns the last response and, for a redirect elsewhere, its Location. */
  async go(url: string, init: { form?: Record<string, string> } = {}): Promise<{ res: Response; url: string; html: string; leftTo?: URL }> {
    let res = await this.request(url, init);
    let current = new URL(url, this.origin);
    for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
      const next = new URL(res.headers.get('location')!, current);
      if (next.origin !== new URL(this.origin).origin) return { res, url: current.href, html: '', leftTo: next };
      current = next;
      res = await this.request(next.href);
    }
    return { res, url: current.href, html: await res.text(), leftTo: undefined };
  }
}

/** The hidden and typed fields of the form posting to …actionSuffix on a page, and its action. */
export function formOn(html: string, actionSuffix: string): { action: string; fields: Record<string, string> } {
  const form = [...html.matchAll(/<form\b[^>]*\baction="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].find((m) => m[1].endsWith(actionSuffix));
  if (!form) throw new Error(`no form posting to …${actionSuffix} in:\n${html.slice(0, 1500)}`);
  const fields: Record<string, string> = {};
  for (const [tag] of form[2].matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]+)"/.exec(tag)?.[1];
    if (name && !/type="checkbox"/.test(tag)) fields[name] = (/\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '').replace(/&amp;/g, '&');
  }
  return { action: form[1], fields };
}

/** A loopback HTTP server for client metadata documents; `fetchVia` hands the accounts service a fetch that reaches it for the given https URLs. */
export async function metadataServer(documents: Record<string, unknown>): Promise<{ server: Server; url: string; fetchVia: typeof fetch; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const byPath = new Map(Object.entries(documents).map(([u, doc]) => [new URL(u).pathname, doc]));
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const doc = byPath.get(req.url ?? '');
    if (!doc) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const known = new Set(Object.keys(documents));
  // Instead of the internet: the document's https URL is answered by the loopback server.
  const fetchVia: typeof fetch = (input, init) => {
    const target = String(input instanceof Request ? input.url : input);
    if (!known.has(target)) return Promise.reject(new Error(`test fetch: ${target} is not a served document`));
    const { dispatcher: _ssrfGuard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
    return fetch(`${url}${new URL(target).pathname}`, rest);
  };
  return { server, url, fetchVia, requests, close: () => new Promise((r) => server.close(() => r())) };
}
