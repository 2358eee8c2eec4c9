import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { csrfToken, csrfValid } from '../domain/csrf.js';

/**
 * The pages run nothing and load nothing; nobody may frame them (clickjacking of the consent
 * button). Forms post only back here; in an OAuth interaction the post ends in a redirect to the
 * app, which browsers check against form-action too, so that one origin is added there.
 */
export function pageCsp(redirectOrigin?: string): string {
  const formAction = ["'self'", ...(redirectOrigin ? [redirectOrigin] : [])].join(' ');
  return `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}

export const CSRF_COOKIE = 'acct_csrf';
export const SESSION_COOKIE = 'acct_session';

export function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    if (!name || name in out) continue;
    try {
      out[name] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // A malformed value is ignored: it is as if the cookie were missing.
    }
  }
  return out;
}

export interface CookieOptions {
  secure: boolean;
}

export function setCookie(res: Response, name: string, value: string, opts: CookieOptions & { maxAgeSeconds?: number }): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (opts.secure) parts.push('Secure');
  if (opts.maxAgeSeconds !== undefined) parts.push(`Max-Age=${opts.maxAgeSeconds}`);
  res.append('Set-Cookie', parts.join('; '));
}

/**
 * Security headers of every page: strict CSP, no framing, no sniffing, no caching (codes and tokens
 * pass through). Referrer-Policy same-origin, not no-referrer: under no-referrer Chromium sends
 * `Origin: null` on the forms' own posts, which the Origin check must refuse.
 */
export const pageHeaders: RequestHandler = (_req, res, next) => {
  res
    .set('Content-Security-Policy', pageCsp())
    .set('X-Frame-Options', 'DENY')
    .set('X-Content-Type-Options', 'nosniff')
    .set('Referrer-Policy', 'same-origin')
    .set('Cache-Control', 'no-store');
  next();
};

/** The CSRF tokens of the pages' forms (signed double-submit: see domain/csrf.ts). */
export class Csrf {
  constructor(
    private readonly key: Buffer,
    private readonly cookie: CookieOptions,
  ) {}

  /** The browser's seed, set now when it has none. */
  seed(req: Request, res: Response): string {
    const existing = cookies(req)[CSRF_COOKIE];
    if (existing && /^[A-Za-z0-9_-]{20,100}$/.test(existing)) return existing;
    const seed = randomBytes(24).toString('base64url');
    setCookie(res, CSRF_COOKIE, seed, this.cookie);
    // The same request may render a form right away: remember the seed it was given.
    req.headers.cookie = `${req.headers.cookie ? `${req.headers.cookie}; ` : ''}${CSRF_COOKIE}=${seed}`;
    return seed;
  }

  field(req: Request, res: Response, purpose: string): string {
    return `<input type="hidden" name="csrf" value="${csrfToken(this.key, this.seed(req, res), purpose)}">`;
  }

  valid(req: Request, purpose: string): boolean {
    return csrfValid(this.key, cookies(req)[CSRF_COOKIE], purpose, (req.body as Record<string, unknown> | undefined)?.csrf);
  }
}

/** A form value as text ('' when absent or not text). */
export function formText(req: Request, name: string): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}
