import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { createMcpHandler, isInitializeRequest, isLegacyRequest, McpServer } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { startPeriodic, type Logger } from '@shop/kit';
import { accountOf } from '../auth/tokens.js';
import { registerTools, toolListing, type ToolDeps } from './tools.js';
import { registerWidgets, type Widget, type WidgetSite } from './widgets.js';

export interface McpEndpointOptions {
  tools: ToolDeps;
  widgets: Widget[];
  site: WidgetSite;
  logger: Logger;
  version: string;
  /** Sessions idle longer than this are closed, so abandoned clients do not hold memory. */
  sessionIdleMs: number;
  /** At most this many sessions in all: past it the least recently used one is closed. */
  maxSessions: number;
  /** At most this many sessions per client IP: past it initialize is refused (429). */
  maxSessionsPerIp: number;
}

interface Session {
  transport: NodeStreamableHTTPServerTransport;
  server: McpServer;
  ip: string;
  lastSeen: number;
  /** The account that has used this session, once one has: another account's token is refused on it. */
  subject?: string;
}

const INSTRUCTIONS =
  'A shop for physical goods. Search with search_products, show details with get_product_details, manage the cart with add_to_cart / view_cart / update_cart_item / remove_from_cart / apply_coupon, then start_checkout, update_checkout (address, shipping, payment method, terms) and place_order only after the shopper confirms. Answer questions about returns, refunds, shipping, privacy or the terms with get_store_policies, in the store\'s own words. Money in arguments is in dollars; results carry cents and formatted amounts. When the host sends no conversation id, pass the cart_id from earlier results back (session_id is its former name, still accepted). Every result\'s text says what the shopper has and what comes next, so a host without widgets can run the whole purchase.';

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/**
 * Streamable HTTP at /mcp in both protocol eras, from one server factory (SDK v2):
 * - 2026-07-28 (a request carrying the per-request `_meta` envelope): stateless by the protocol,
 *   served by the SDK's per-request entry (`server/discover`, no `Mcp-Session-Id`);
 * - 2025-06-18 / 2025-11-25: `initialize` opens a session (one server + transport, kept by id,
 *   capped per IP and in all); a request without a session header is served statelessly.
 */
export function createMcpEndpoint(opts: McpEndpointOptions) {
  // Insertion order is kept as recency order (a used session is re-inserted), so the first is the LRU.
  const sessions = new Map<string, Session>();
  const sessionsPerIp = new Map<string, number>();
  const listing = toolListing();

  const newServer = () => {
    // The lists never change while the process runs: no list_changed notifications to promise.
    const server = new McpServer({ name: 'shop-mcp-gateway', title: 'Shop', version: opts.version }, { instructions: INSTRUCTIONS, capabilities: { tools: { listChanged: false }, resources: { listChanged: false } } });
    registerTools(server, opts.tools, listing);
    registerWidgets(server, opts.widgets, opts.site);
    return server;
  };

  const onerror = (e: Error) => opts.logger.warn({ err: e }, 'mcp request refused');
  const modern = toNodeHandler(createMcpHandler(newServer, { legacy: 'reject', onerror }), { onerror });

  const sweep = startPeriodic(
    'gateway_close_idle_sessions',
    Math.min(opts.sessionIdleMs, 60_000),
    async () => {
      const cutoff = Date.now() - opts.sessionIdleMs;
      const idle = [...sessions].filter(([, s]) => s.lastSeen < cutoff).map(([id]) => id);
      await Promise.all(idle.map(closeSession));
    },
    { logger: opts.logger },
  );

  function forget(id: string): Session | undefined {
    const s = sessions.get(id);
    if (!s) return undefined;
    sessions.delete(id);
    const left = (sessionsPerIp.get(s.ip) ?? 1) - 1;
    if (left > 0) sessionsPerIp.set(s.ip, left);
    else sessionsPerIp.delete(s.ip);
    return s;
  }

  async function closeSession(id: string): Promise<void> {
    const s = forget(id);
    if (!s) return;
    await s.transport.close().catch(() => undefined);
    await s.server.close().catch(() => undefined);
  }

  async function startSession(req: Request, res: Response): Promise<void> {
    const ip = req.ip ?? 'unknown';
    if ((sessionsPerIp.get(ip) ?? 0) >= opts.maxSessionsPerIp) {
      return jsonRpcError(res, 429, -32000, `Too many open MCP sessions from this address (at most ${opts.maxSessionsPerIp}): close one (DELETE /mcp) or wait for idle ones to expire.`);
    }
    const server = newServer();
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        while (sessions.size >= opts.maxSessions) {
          const oldest = sessions.keys().next().value;
          if (oldest === undefined) break;
          void closeSession(oldest);
        }
        sessions.set(id, { transport, server, ip, lastSeen: Date.now(), subject: accountOf((req as { auth?: Parameters<typeof accountOf>[0] }).auth)?.subject });
        sessionsPerIp.set(ip, (sessionsPerIp.get(ip) ?? 0) + 1);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) forget(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  /** A 2025-era request without a session: a fresh server + transport (one stateless transport cannot be reused). */
  async function legacyStateless(req: Request, res: Response): Promise<void> {
    const server = newServer();
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  const handle = async (req: Request, res: Response): Promise<void> => {
    try {
      const sessionId = req.header('mcp-session-id');
      if (sessionId) {
        const s = sessions.get(sessionId);
        if (!s) return jsonRpcError(res, 404, -32001, 'Session not found: start a new session with initialize');
        // A session is bound to the first account seen on it (a guest session may sign in). Without a
        // token a request acts as a guest, and an account's cart and orders refuse guests anyway.
        const subject = accountOf((req as { auth?: Parameters<typeof accountOf>[0] }).auth)?.subject;
        if (subject && s.subject && subject !== s.subject) return jsonRpcError(res, 404, -32001, 'Session not found: this session belongs to another account; start a new session with initialize');
        if (subject) s.subject ??= subject;
        s.lastSeen = Date.now();
        sessions.delete(sessionId);
        sessions.set(sessionId, s);
        await s.transport.handleRequest(req, res, req.body);
        return;
      }
      if (req.method === 'POST') {
        if (!(await isLegacyRequest(await toWebRequest(req, req.body), req.body))) return await modern(req, res, req.body);
        if (isInitializeRequest(req.body)) return await startSession(req, res);
        return await legacyStateless(req, res);
      }
      jsonRpcError(res, 405, -32000, 'Method not allowed without an Mcp-Session-Id');
    } catch (e) {
      opts.logger.error({ err: e }, 'mcp request failed');
      if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal error');
    }
  };

  return {
    handle,
    sessionCount: () => sessions.size,
    close: async () => {
      await sweep.stop();
      await Promise.all([...sessions.keys()].map(closeSession));
    },
  };
}
