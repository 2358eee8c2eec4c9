import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '@shop/kit';
import { registerTools, toolListing, type ToolDeps } from './tools.js';
import { registerWidgets, type Widget } from './widgets.js';

export interface McpEndpointOptions {
  tools: ToolDeps;
  widgets: Widget[];
  publicUrl: string;
  logger: Logger;
  version: string;
  /** Sessions idle longer than this are closed, so abandoned clients do not hold memory. */
  sessionIdleMs: number;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
}

const INSTRUCTIONS =
  'A shop for physical goods. Search with search_products, show details with get_product_details, manage the cart with add_to_cart / view_cart / update_cart_item / remove_from_cart / apply_coupon, then start_checkout, update_checkout (address, shipping, payment method, terms) and place_order only after the shopper confirms. Answer questions about returns, refunds, shipping, privacy or the terms with get_store_policies, in the store\'s own words. Money in arguments is in dollars; results carry cents and formatted amounts. When the host sends no conversation id, pass the session_id from earlier results back.';

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/**
 * Streamable HTTP at /mcp in both modes: clients that keep the `Mcp-Session-Id` get a session
 * (one server + transport, kept by id); requests without the header are served statelessly by
 * a fresh server + transport each, because one stateless transport cannot be reused.
 */
export function createMcpEndpoint(opts: McpEndpointOptions) {
  const sessions = new Map<string, Session>();
  const listing = toolListing(opts.tools);

  const newServer = () => {
    const server = new McpServer({ name: 'shop-mcp-gateway', title: 'Shop', version: opts.version }, { instructions: INSTRUCTIONS, capabilities: { tools: {}, resources: {} } });
    registerTools(server, opts.tools, listing);
    registerWidgets(server, opts.widgets, opts.publicUrl);
    return server;
  };

  const sweep = setInterval(() => {
    const cutoff = Date.now() - opts.sessionIdleMs;
    for (const [id, s] of sessions) if (s.lastSeen < cutoff) void closeSession(id);
  }, Math.min(opts.sessionIdleMs, 60_000));
  sweep.unref();

  async function closeSession(id: string): Promise<void> {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    await s.transport.close().catch(() => undefined);
    await s.server.close().catch(() => undefined);
  }

  async function startSession(req: Request, res: Response): Promise<void> {
    const server = newServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastSeen: Date.now() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  async function stateless(req: Request, res: Response): Promise<void> {
    const server = newServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
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
        s.lastSeen = Date.now();
        await s.transport.handleRequest(req, res, req.body);
        return;
      }
      if (req.method === 'POST' && isInitializeRequest(req.body)) return await startSession(req, res);
      if (req.method === 'POST') return await stateless(req, res);
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
      clearInterval(sweep);
      await Promise.all([...sessions.keys()].map(closeSession));
    },
  };
}
