import type { Express, NextFunction, Request, Response } from 'express';
import cors from 'cors';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import { hostHeaderValidation } from '@modelcontextprotocol/node';
import { AppError, catalogApi, Uuid } from '@shop/contracts';
import { buildOpenApi, createHttpApp, finishHttpApp, type ApiCredentials, type BusClient, type Logger } from '@shop/kit';
import { z } from 'zod';
import { findPolicy, policyIndexPage, policyPage, storePolicies } from '../domain/policies.js';
import { hostId } from '../domain/identity.js';
import { accountOf } from '../auth/tokens.js';
import type { ResourceServer } from '../auth/resource.js';
import type { OriginPolicy } from './origins.js';
import { playgroundRoute } from './playground.js';

export interface GatewayHttpOptions {
  logger: Logger;
  bus: BusClient;
  allowedHosts: string[];
  /** Browser origins allowed to call /mcp (others get 403, and no CORS headers). */
  origins: OriginPolicy;
  /** Per shopper identity (the normalised host subject). */
  rateLimitPerMinute: number;
  /** Per client IP, always applied, so a fresh subject per call is still limited. */
  ipRateLimitPerMinute: number;
  /** Express `trust proxy`: set behind a reverse proxy so the client IP comes from X-Forwarded-For. */
  trustProxy: boolean | number | string;
  readiness: () => Promise<Record<string, boolean>>;
  mcp: (req: Request, res: Response) => Promise<void>;
  /** Bearer tokens on /mcp and the protected resource metadata (the gateway as OAuth resource server). */
  resourceServer: ResourceServer;
  /** Links between the policy pages are absolute, from the public origin. */
  publicUrl: string;
  /** widgets/dist: the playground page is served from there. */
  widgetsDir: string;
  /** /metrics for holders of a service credential (API_TOKENS), as on every service. */
  metrics?: ApiCredentials;
}

/** Health checks stay reachable by IP or internal name (orchestrators), outside host validation. */
const HEALTH_PATHS = new Set(['/healthz', '/readyz']);
// mcp-method / mcp-name: the 2026-07-28 request headers (SEP-2243) browser clients send.
const MCP_HEADERS = ['content-type', 'authorization', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'mcp-method', 'mcp-name'];

/**
 * The rate-limit key of a shopper: the verified account, else the host's `openai/subject`
 * (trimmed, bounded). The latter is what OpenAI documents it for; it authorizes nothing.
 */
function subjectOf(req: Request): string | undefined {
  const account = accountOf((req as { auth?: Parameters<typeof accountOf>[0] }).auth);
  if (account) return `account:${account.subject}`;
  const body = req.body as { params?: { _meta?: Record<string, unknown> } } | undefined;
  const hostSubject = hostId(body?.params?._meta?.['openai/subject']);
  return hostSubject && `host:${hostSubject}`;
}

function clientIp(req: Request): string {
  return ipKeyGenerator(req.ip ?? 'unknown');
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
  const refuseOrigin = (req: Request, res: Response, next: NextFunction) => {
    if (opts.origins.allows(req.header('origin'))) return next();
    const err = new AppError('FORBIDDEN', 'This origin may not call the MCP endpoint.', { origin: String(req.header('origin')).slice(0, 100) });
    res.status(403).json({ error: err.toBody() });
  };
  const app = createHttpApp({
    logger: opts.logger,
    readiness: opts.readiness,
    metrics: opts.metrics,
    bodyLimit: '256kb',
    beforeJson: (a) => {
      a.set('trust proxy', opts.trustProxy);
      a.use((req: Request, res: Response, next: NextFunction) => (HEALTH_PATHS.has(req.path) || validateHost(req, res) ? next() : undefined));
      a.use('/mcp', refuseOrigin);
      a.use(
        '/mcp',
        cors({
          origin: (origin, cb) => cb(null, opts.origins.allows(origin) && origin !== undefined),
          methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
          allowedHeaders: MCP_HEADERS,
          exposedHeaders: ['Mcp-Session-Id'],
          maxAge: 600,
        }),
      );
    },
  });

  const limited = (limit: number) => (_req: Request, res: Response) => {
    const err = new AppError('RATE_LIMITED', 'Too many requests: please wait a minute and try again.', { limit_per_minute: limit });
    res.status(429).json({ error: err.toBody() });
  };
  // Both apply: the IP bucket holds against a fresh subject per call (and counts initialize);
  // the subject bucket keeps one shopper from using up a shared egress IP's allowance.
  const ipLimiter = rateLimit({
    windowMs: 60_000,
    limit: opts.ipRateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: 'ip',
    keyGenerator: (req) => `ip:${clientIp(req)}`,
    handler: limited(opts.ipRateLimitPerMinute),
  });
  const subjectLimiter = rateLimit({
    windowMs: 60_000,
    limit: opts.rateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: 'subject',
    skip: (req) => subjectOf(req) === undefined,
    keyGenerator: (req) => `subject:${subjectOf(req)}`,
    handler: limited(opts.rateLimitPerMinute),
  });

  const rs = opts.resourceServer;
  app.post('/mcp', ipLimiter, rs.authenticate, subjectLimiter, opts.mcp);
  app.get('/mcp', ipLimiter, rs.authenticate, opts.mcp);
  app.delete('/mcp', rs.authenticate, opts.mcp);
  // RFC 9728: at the root and path-suffixed for /mcp (the form the challenges name).
  app.get(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'], rs.metadataRoute);
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
    { method: 'get', path: '/.well-known/oauth-protected-resource/mcp', summary: 'RFC 9728 protected resource metadata of /mcp: the accounts issuer as authorization server, the scopes (also at /.well-known/oauth-protected-resource)', response: z.record(z.string(), z.unknown()) },
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
