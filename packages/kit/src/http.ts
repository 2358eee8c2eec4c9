import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import { z } from 'zod';
import { AppError, parseOrThrow } from '@shop/contracts';
import { toServiceError } from './db.js';
import type { Logger } from './logger.js';

export interface HttpAppOptions {
  logger: Logger;
  /** Named checks for /readyz; all must be true. */
  readiness: () => Promise<Record<string, boolean>>;
  bodyLimit?: string;
  /** Routes that need the raw body (webhook signatures) are mounted by the caller before json(). */
  beforeJson?: (app: Express) => void;
}

/** An express app with JSON bodies, /healthz (alive) and /readyz (dependencies reachable). */
export function createHttpApp(opts: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
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
