import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Request, Response } from 'express';

export interface PlaygroundOptions {
  /** widgets/dist, where `npm run build` puts playground.html. */
  widgetsDir: string;
  /** Widgets render product images from the public origin. */
  publicUrl: string;
}

export const PLAYGROUND_FILE = 'playground.html';
const NOT_BUILT = 'The playground is not built: run `npm run build` (it writes widgets/dist/playground.html), then reload.\n';

/**
 * The playground's policy, which its widget frames inherit (they are same-origin srcdoc frames,
 * like the test host's). Inline script and style because the page and the widgets are single
 * files. No eval: the SDK v2 client's browser build validates tool output schemas with
 * @cfworker/json-schema, which interprets them (the 1.x client compiled them with Ajv).
 */
function contentSecurityPolicy(publicUrl: string): string {
  const origin = new URL(publicUrl).origin;
  return [
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: ${origin}`,
    `font-src 'self' data: ${origin}`,
    `connect-src 'self' ${origin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
  ].join('; ');
}

/**
 * GET /playground: the built page, re-read when the build changes (so a rebuild needs no
 * restart); 503 with a hint while it is not built.
 */
export function playgroundRoute(opts: PlaygroundOptions) {
  const file = path.join(opts.widgetsDir, PLAYGROUND_FILE);
  const csp = contentSecurityPolicy(opts.publicUrl);
  let cached: { mtimeMs: number; html: string } | undefined;
  return async (_req: Request, res: Response): Promise<void> => {
    const built = await stat(file).catch(() => undefined);
    if (!built?.isFile()) {
      res.status(503).type('text/plain; charset=utf-8').set('Cache-Control', 'no-store').send(NOT_BUILT);
      return;
    }
    if (cached?.mtimeMs !== built.mtimeMs) cached = { mtimeMs: built.mtimeMs, html: await readFile(file, 'utf8') };
    res
      .type('text/html; charset=utf-8')
      .set('Cache-Control', 'no-store')
      .set('Content-Security-Policy', csp)
      .set('X-Content-Type-Options', 'nosniff')
      .set('Referrer-Policy', 'no-referrer')
      .send(cached.html);
  };
}
