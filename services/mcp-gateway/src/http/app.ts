import type { Express, NextFunction, Request, Response } from 'express';
import cors from 'cors';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { AppError, catalogApi, Uuid } from '@shop/contracts';
import { buildOpenApi, createHttpApp, finishHttpApp, type BusClient, type Logger } from '@shop/kit';
import { z } from 'zod';
import { findPolicy, policyIndexPage, policyPage, storePolicies } from '../domain/policies.js';
import { playgroundRoute } from './playground.js';

export interface GatewayHttpOptions {
  logger: Logger;
  bus: BusClient;
  allowedHosts: string[];
  rateLimitPerMinute: number;
  readiness: () => Promise<Record<string, boolean>>;
  mcp: (req: Request, res: Response) => Promise<void>;
  /** Links between the policy pages are absolute, from the public origin. */
  publicUrl: string;
  /** widgets/dist: the playground page is served from there. */
  widgetsDir: string;
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
const policyNames = storePolicies.map((p) => p.name).join(', ');
// The pages are static text: nothing may run, load or frame them.
const POLICY_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

function sendPolicyPage(res: Response, html: string): void {
  res
    .type('text/html; charset=utf-8')
    .set('Cache-Control', 'public, max-age=3600')
    .set('Content-Security-Policy', POLICY_PAGE_CSP)
    .set('X-Content-Type-Options', 'nosniff')
    .send(html);
}

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
  app.get('/playground', playgroundRoute({ widgetsDir: opts.widgetsDir, publicUrl: opts.publicUrl }));

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

  // Rendered once: the policies are data compiled into the gateway.
  const policyPages = new Map(storePolicies.map((p) => [p.name as string, policyPage(p, opts.publicUrl)]));
  const policyIndex = policyIndexPage(opts.publicUrl);
  app.get('/policies', (_req, res) => sendPolicyPage(res, policyIndex));
  app.get('/policies/:name', (req, res) => {
    const html = findPolicy(req.params.name) && policyPages.get(req.params.name);
    if (!html) throw new AppError('NOT_FOUND', `No policy named ${JSON.stringify(req.params.name.slice(0, 40))}: the policies are ${policyNames}.`, { policies: storePolicies.map((p) => p.name) });
    sendPolicyPage(res, html);
  });

  const openapi = buildOpenApi({ title: 'MCP gateway', version: '0.1.0', description: 'MCP over Streamable HTTP at /mcp; product images; store policy pages.' }, [
    { method: 'get', path: '/images/:file', summary: 'A product image (SVG) by product id, e.g. /images/<uuid>.svg', response: z.string() },
    { method: 'get', path: '/policies', summary: 'The store policies (HTML page listing them)', response: z.string() },
    { method: 'get', path: '/policies/:name', summary: `A store policy as a readable HTML page; name is one of ${policyNames}`, response: z.string() },
  ]);
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  finishHttpApp(app, opts.logger);
  return app;
}
