import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { apiCredentials, BusClient, closeServer, collectProcessMetrics, connectNats, createLogger, initTracing, listen, runMain } from '@shop/kit';
import { loadGatewayConfig } from './config.js';
import { createGatewayApp } from './http/app.js';
import { originPolicy } from './http/origins.js';
import { createMcpEndpoint } from './mcp/endpoint.js';
import { loadWidgets } from './mcp/widgets.js';
import { readinessChecks } from './bus/readiness.js';
import { createResourceServer } from './auth/resource.js';
import { createTokenVerifier } from './auth/tokens.js';

const NAME = 'mcp-gateway';
const VERSION = '0.1.0';

export async function start(env: Record<string, string | undefined> = process.env) {
  const config = loadGatewayConfig(env);
  const logger = createLogger(NAME, config.LOG_LEVEL);
  collectProcessMetrics();
  const stopTracing = await initTracing(NAME, logger);
  const nc = await connectNats(config, NAME, logger);
  const bus = new BusClient(nc, config.NATS_PREFIX, config.BUS_TIMEOUT_MS);
  const widgets = await loadWidgets(config.WIDGETS_DIR, logger);
  const resourceServer = createResourceServer({
    publicUrl: config.PUBLIC_URL,
    issuer: config.ACCOUNTS_ISSUER,
    logger,
    verifier: createTokenVerifier({ issuer: config.ACCOUNTS_ISSUER, jwksUrl: config.jwksUrl, resource: `${config.PUBLIC_URL}/mcp`, bus, logger, grantCacheMs: config.GRANT_CHECK_CACHE_S * 1000 }),
  });

  const mcp = createMcpEndpoint({
    tools: { bus, logger, placeOrderTimeoutMs: Math.max(config.BUS_TIMEOUT_MS, 30_000), publicUrl: config.PUBLIC_URL, signInChallenge: resourceServer.challenge },
    widgets,
    site: { publicUrl: config.PUBLIC_URL, widgetDomain: config.widgetDomain, linkOrigins: config.linkOrigins },
    logger,
    version: VERSION,
    sessionIdleMs: config.MCP_SESSION_IDLE_S * 1000,
    maxSessions: config.MCP_MAX_SESSIONS,
    maxSessionsPerIp: config.MCP_MAX_SESSIONS_PER_IP,
  });
  const app = createGatewayApp({
    logger,
    bus,
    allowedHosts: config.allowedHosts,
    origins: originPolicy({ publicUrl: config.PUBLIC_URL, allowedOrigins: config.allowedOrigins, allowLoopback: config.NODE_ENV !== 'production' }),
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    ipRateLimitPerMinute: config.RATE_LIMIT_IP_PER_MINUTE,
    trustProxy: config.trustProxy,
    readiness: readinessChecks(nc, config.NATS_PREFIX),
    mcp: mcp.handle,
    resourceServer,
    publicUrl: config.PUBLIC_URL,
    widgetsDir: config.WIDGETS_DIR,
    metrics: apiCredentials(config.API_TOKENS, NAME),
  });
  const server = await listen(app, config.HTTP_PORT, config.HTTP_HOST);
  const port = (server.address() as AddressInfo).port;
  const httpUrl = `http://${config.HTTP_HOST.includes(':') ? `[${config.HTTP_HOST}]` : config.HTTP_HOST}:${port}`;
  logger.info({ httpUrl, publicUrl: config.PUBLIC_URL, widgets: widgets.map((w) => `${w.name}${w.fallback ? ' (fallback)' : ''}`) }, 'mcp gateway listening');

  let stopped: Promise<void> | undefined;
  return {
    httpUrl,
    mcpUrl: `${httpUrl}/mcp`,
    stop: () =>
      (stopped ??= (async () => {
        await mcp.close();
        await closeServer(server);
        await nc.drain().catch(() => nc.close());
        await stopTracing();
      })()),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain(NAME, () => start());
}
