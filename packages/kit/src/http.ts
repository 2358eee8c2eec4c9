import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import { z } from 'zod';
import { AppError, parseOrThrow } from '@shop/contracts';
import type { ApiRole, ApiToken, BaseConfig } from './config.js';
import { toServiceError } from './db.js';
import type { Logger } from './logger.js';
import { metrics, metricsHandler, secondsSince } from './telemetry.js';

/** Which Host headers and browser origins a service accepts (see httpSecurity). */
export interface HttpSecurity {
  /** Host names (no port) accepted in the Host header; anything else is DNS rebinding or a mistake. */
  allowedHosts: string[];
  /** Origins, besides the request's own, allowed on POST/PUT/PATCH/DELETE. */
  allowedOrigins: string[];
}

export interface HttpAppOptions {
  logger: Logger;
  /** Named checks for /readyz; all must be true. */
  readiness: () => Promise<Record<string, boolean>>;
  bodyLimit?: string;
  /** Routes that need the raw body (webhook signatures) are mounted by the caller before json(). */
  beforeJson?: (app: Express) => void;
  /** Host allowlist and Origin check, applied before any route (health checks are exempt from the Host check). */
  security?: HttpSecurity;
  /**
   * Serves the process's Prometheus metrics at /metrics to holders of a service (or admin)
   * credential, like the internal /v1 routes; without it there is no /metrics route.
   */
  metrics?: ApiCredentials;
}

/** An express app with JSON bodies, /healthz (alive) and /readyz (dependencies reachable). */
export function createHttpApp(opts: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  // Every request, refused ones included, by the route it matched (never the raw path: ids would
  // make a series per cart). Requests no route took are `unmatched`.
  app.use((req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.http.observe(secondsSince(started), req.method, route, String(res.statusCode));
    });
    next();
  });
  if (opts.security) {
    app.use(hostCheck(opts.security.allowedHosts));
    app.use(originCheck(opts.security.allowedOrigins));
  }
  opts.beforeJson?.(app);
  app.use(express.json({ limit: opts.bodyLimit ?? '100kb' }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await opts.readiness();
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  if (opts.metrics) app.get('/metrics', opts.metrics.requireCredential('service'), metricsHandler());
  return app;
}

/** Adds the 404 and error handlers: every error leaves as `{ error: { code, message, details } }`, never a stack. */
export function finishHttpApp(app: Express, logger: Logger): void {
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    let appError: AppError;
    const status = (err as { status?: number; type?: string })?.status;
    const type = (err as { type?: string })?.type;
    if (type === 'entity.too.large') appError = new AppError('INVALID_INPUT', 'The request body is too large', { rule: 'max_body_size' });
    else if (type === 'entity.parse.failed') appError = new AppError('INVALID_INPUT', 'The request body is not valid JSON');
    else if (status && status >= 400 && status < 500 && !(err instanceof AppError)) appError = new AppError('INVALID_INPUT', 'The request could not be read');
    else appError = toServiceError(err);
    if (appError.code === 'INTERNAL') logger.error({ err }, 'request failed');
    res.status(appError.httpStatus).json({ error: appError.toBody() });
  });
}

/** Health checks stay reachable by IP or container name (orchestrators probe them that way). */
const HEALTH_PATHS = new Set(['/healthz', '/readyz']);
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

function forbidden(res: Response, message: string, details: Record<string, unknown>): void {
  res.status(403).json({ error: new AppError('FORBIDDEN', message, details).toBody() });
}

/** The Host/Origin lists of a service: ALLOWED_HOSTS (default loopback and the service's own name, as compose calls it) plus `extra`. */
export function httpSecurity(config: Pick<BaseConfig, 'ALLOWED_HOSTS' | 'ALLOWED_ORIGINS'>, serviceName: string, extra: { hosts?: string[]; origins?: string[] } = {}): HttpSecurity {
  const list = (v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const configured = list(config.ALLOWED_HOSTS).map((h) => h.toLowerCase());
  const hosts = configured.length ? configured : [...LOOPBACK_HOSTS, serviceName.toLowerCase()];
  const origins = list(config.ALLOWED_ORIGINS);
  for (const o of origins) if (!URL.canParse(o)) throw new AppError('INVALID_INPUT', `Configuration error: ALLOWED_ORIGINS: ${JSON.stringify(o)} is not an origin URL`);
  return {
    allowedHosts: [...new Set([...hosts, ...(extra.hosts ?? []).map((h) => h.toLowerCase())])],
    allowedOrigins: [...new Set([...origins, ...(extra.origins ?? [])].map((o) => new URL(o).origin))],
  };
}

/** DNS-rebinding protection: the Host header must name this service (port ignored). */
export function hostCheck(allowedHosts: string[]): RequestHandler {
  const allowed = new Set(allowedHosts);
  return (req, res, next) => {
    if (HEALTH_PATHS.has(req.path)) return next();
    const header = req.headers.host;
    let hostname: string | undefined;
    try {
      hostname = header ? new URL(`http://${header}`).hostname : undefined;
    } catch {
      hostname = undefined;
    }
    if (hostname !== undefined && allowed.has(hostname)) return next();
    forbidden(res, `Host ${JSON.stringify(String(header ?? '').slice(0, 100))} is not one this service answers to (ALLOWED_HOSTS).`, { host: String(header ?? '').slice(0, 100) });
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A state-changing request that carries an Origin must come from this service's own origin (the
 * Host it was sent to) or a configured one: a page elsewhere cannot make a browser post here.
 * No Origin (curl, another service) passes; `null` names no one and is refused.
 */
export function originCheck(allowedOrigins: string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (SAFE_METHODS.has(req.method) || origin === undefined) return next();
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    const sameHost = url !== undefined && url.host === String(req.headers.host ?? '').toLowerCase();
    if (url && url.origin === origin && (allowed.has(url.origin) || sameHost)) return next();
    forbidden(res, 'This origin may not send requests that change anything here.', { origin: origin.slice(0, 100) });
  };
}

/** Who called, as its bearer token says; set on res.locals.credential by requireCredential. */
export interface Credential {
  caller: string;
  role: ApiRole;
}

/**
 * Bearer-token authentication for the internal `/v1` routes. The service holds only the SHA-256 of
 * each token (API_TOKENS); a presented token is hashed and compared with every entry in constant
 * time. `requireCredential('service')` accepts service and admin tokens; `'admin'` only admin ones.
 * No or an unknown token: 401 UNAUTHENTICATED with `WWW-Authenticate: Bearer`; a service token on
 * an admin route: 403 FORBIDDEN.
 */
export function apiCredentials(tokens: ApiToken[] | undefined, realm: string) {
  const entries = (tokens ?? []).map((t) => ({ caller: t.caller, role: t.role, hash: Buffer.from(t.sha256, 'hex') }));
  const verify = (header: string | undefined): Credential | undefined => {
    const m = /^Bearer +(\S+) *$/i.exec(header ?? '');
    if (!m) return undefined;
    const presented = createHash('sha256').update(m[1], 'utf8').digest();
    let found: Credential | undefined;
    // Every entry is compared, so the time taken says nothing about which (if any) matched.
    for (const e of entries) if (timingSafeEqual(presented, e.hash) && !found) found = { caller: e.caller, role: e.role };
    return found;
  };
  const requireCredential =
    (role: ApiRole): RequestHandler =>
    (req, res, next) => {
      const header = req.get('authorization');
      const credential = verify(header);
      if (!credential) {
        res.set('WWW-Authenticate', header ? `Bearer realm="${realm}", error="invalid_token"` : `Bearer realm="${realm}"`);
        const why = entries.length === 0 ? 'this service has no API_TOKENS configured, so it accepts none' : header ? 'the bearer token is not one this service accepts' : 'send Authorization: Bearer <token>';
        return next(new AppError('UNAUTHENTICATED', `This API needs a credential: ${why}.`));
      }
      if (role === 'admin' && credential.role !== 'admin') {
        return next(new AppError('FORBIDDEN', `This route needs an admin credential; caller "${credential.caller}" holds a ${credential.role} one.`, { caller: credential.caller, required_role: 'admin' }));
      }
      res.locals.credential = credential;
      next();
    };
  return { requireCredential, verify };
}
export type ApiCredentials = ReturnType<typeof apiCredentials>;

/** The credential requireCredential accepted for this request. */
export function credentialOf(res: Response): Credential {
  const c = res.locals.credential as Credential | undefined;
  if (!c) throw new AppError('UNAUTHENTICATED', 'This API needs a credential.');
  return c;
}

export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  return parseOrThrow(schema, req.body ?? {}, 'body');
}
export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  return parseOrThrow(schema, req.query ?? {}, 'query');
}
export function parseParams<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  return parseOrThrow(schema, req.params ?? {}, 'path');
}

export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.keepAliveTimeout = 65_000;
  });
}

export interface OpenApiRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
}

/** An OpenAPI 3.1 document generated from the same zod schemas the routes parse with. */
export function buildOpenApi(info: { title: string; version: string; description?: string }, routes: OpenApiRoute[]) {
  const toSchema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'openapi-3.0' });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const oaPath = r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const params = [...r.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (r.query) {
      const q = toSchema(r.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) params.push({ name, in: 'query', required: (q.required ?? []).includes(name), schema: schema as { type: string } });
    }
    paths[oaPath] ??= {};
    paths[oaPath][r.method] = {
      summary: r.summary,
      parameters: params.length ? params : undefined,
      requestBody: r.body ? { required: true, content: { 'application/json': { schema: toSchema(r.body, 'input') } } } : undefined,
      responses: {
        '200': { description: 'OK', content: { 'application/json': { schema: toSchema(r.response, 'output') } } },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } }, required: ['code', 'message'] } },
        },
      },
    },
  };
}
