import type { Express, NextFunction, Request, Response } from 'express';
import cors from 'cors';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { AppError, catalogApi, Uuid } from '@shop/contracts';
import { buildOpenApi, createHttpApp, finishHttpApp, type BusClient, type Logger } from '@shop/kit';
import { z } from 'zod';

export interface GatewayHttpOptions {
  logger: Logger;
  bus: BusClient;
  allowedHosts: string[];
  rateLimitPerMinute: number;
  readiness: () => Promise<Record<string, boolean>>;
  mcp: (req: Request, res: Response) => Promise<void>;
}

/** Health checks stay reachable by IP or internal name (orchestrators), outside host validation. */
const HEALTH_PATHS = new Set(['/healthz', '/readyz']);
const MCP_HEADERS = ['content-type', 'authorization', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id'];

function subjectOf(req: Request): string | undefined {
  const body = req.body as { params?: { _meta?: Record<string, unknown> } } | undefined;
  const subject = body?.params?._meta?.['openai/subject'];
  return typeof subject === 'string' && subject.length > 0 && subject.length <= 200 ? subject : undefined;
}

const ImageParams = z.object({ id: Uuid }).strict();

export function createGatewayApp(opts: GatewayHttpOptions): Express {
  const validateHost = hostHeaderValidation(opts.allowedHosts);
  const app = createHttpApp({
    logger: opts.logger,
    readiness: opts.readiness,
    bodyLimit: '256kb',
    beforeJson: (a) => {
      a.use((req: Request, res: Response, next: NextFunction) => (HEALTH_PATHS.has(req.path) ? next() : validateHost(req, res, next)));
      a.use(
        cors({
          origin: true,
          methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
          allowedHeaders: MCP_HEADERS,
          exposedHeaders: ['Mcp-Session-Id'],
          maxAge: 600,
        }),
      );
    },
  });

  // Per shopper (the host's anonymised subject) when known, else per client IP.
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: opts.rateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => {
      const subject = subjectOf(req);
      return subject ? `subject:${subject}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
    handler: (_req, res) => {
      const err = new AppError('RATE_LIMITED', 'Too many requests: please wait a minute and try again.', { limit_per_minute: opts.rateLimitPerMinute });
      res.status(429).json({ error: err.toBody() });
    },
  });

  app.post('/mcp', limiter, opts.mcp);
  app.get('/mcp', limiter, opts.mcp);
  app.delete('/mcp', opts.mcp);

  app.get('/images/:file', async (req, res) => {
    const match = /^(.+)\.svg$/.exec(req.params.file);
    const parsed = ImageParams.safeParse({ id: match?.[1] });
    if (!parsed.success) throw new AppError('INVALID_INPUT', 'Invalid path.id: must be a product id followed by .svg');
    const image = await opts.bus.call(catalogApi.getImage, { product_id: parsed.data.id });
    res
      .type('image/svg+xml')
      .set('Cache-Control', 'public, max-age=3600')
      // An SVG can carry script: forbid it from running if the image is opened directly.
      .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
      .set('X-Content-Type-Options', 'nosniff')
      .send(image.svg);
  });

  const openapi = buildOpenApi({ title: 'MCP gateway', version: '0.1.0', description: 'MCP over Streamable HTTP at /mcp; product images.' }, [
    { method: 'get', path: '/images/:file', summary: 'A product image (SVG) by product id, e.g. /images/<uuid>.svg', response: z.string() },
  ]);
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  finishHttpApp(app, opts.logger);
  return app;
}
