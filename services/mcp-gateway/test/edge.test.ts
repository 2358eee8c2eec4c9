import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originPolicy } from '../src/http/origins.js';
import { startTestStack, type TestStack } from './support/stack.js';

function post(url: string, body: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const rpc = (method: string, params: Record<string, unknown> = {}) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
const initialize = rpc('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'edge-test', version: '1' } });

describe('origin policy', () => {
  const policy = originPolicy({ publicUrl: 'https://shop.example/', allowedOrigins: ['https://partner.example'], allowLoopback: true });
  const production = originPolicy({ publicUrl: 'https://shop.example', allowedOrigins: [], allowLoopback: false });

  it('allows server-to-server calls, the public origin, configured origins and loopback in development', () => {
    for (const o of [undefined, 'https://shop.example', 'https://partner.example', 'http://localhost:6274', 'http://127.0.0.1:5173', 'http://[::1]:3000']) {
      expect(policy.allows(o), String(o)).toBe(true);
    }
  });

  it('refuses null, foreign, look-alike and malformed origins, and loopback in production', () => {
    for (const o of ['null', 'https://evil.example', 'https://shop.example.evil.example', 'http://shop.example', 'https://shop.example/path', 'localhost', 'file://', 'https://localhost.evil.example']) {
      expect(policy.allows(o), o).toBe(false);
    }
    expect(production.allows('http://localhost:6274')).toBe(false);
    expect(production.allows('https://shop.example')).toBe(true);
  });
});

describe('gateway edge: origins, limits and session caps', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      services: [],
      gatewayEnv: {
        ALLOWED_ORIGINS: 'https://chatgpt.com',
        RATE_LIMIT_PER_MINUTE: '1000',
        RATE_LIMIT_IP_PER_MINUTE: '60',
        MCP_MAX_SESSIONS_PER_IP: '5',
        MCP_MAX_SESSIONS: '8',
        // Loopback is the proxy here, so X-Forwarded-For names the client: each test picks its own IP.
        TRUST_PROXY: 'loopback',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses a foreign or null Origin with 403 and no CORS grant; allows none and allowed ones', async () => {
    const ip = { 'x-forwarded-for': '198.51.100.1' };
    for (const origin of ['https://evil.example', 'null']) {
      const res = await post(stack.mcpUrl, rpc('tools/list'), { ...ip, origin });
      expect(res.status, origin).toBe(403);
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
      expect(JSON.parse(res.body).error.code).toBe('FORBIDDEN');
    }
    expect((await post(stack.mcpUrl, rpc('tools/list'), ip)).status).toBe(200);
    const allowed = await post(stack.mcpUrl, rpc('tools/list'), { ...ip, origin: 'https://chatgpt.com' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://chatgpt.com');
  });

  it('limits one IP even when every call claims a fresh subject, and counts initialize', async () => {
    const ip = { 'x-forwarded-for': '198.51.100.2' };
    const statuses: number[] = [];
    for (let i = 0; i < 65; i++) {
      const body = i % 2 ? initialize : JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'openai/subject': `fresh-${i}` } } });
      statuses.push((await post(stack.mcpUrl, body, ip)).status);
    }
    expect(statuses.slice(0, 60).every((s) => s === 200 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
    expect(statuses.slice(60)).toEqual([429, 429, 429, 429, 429]);
    // Another client IP is untouched.
    expect((await post(stack.mcpUrl, rpc('tools/list'), { 'x-forwarded-for': '198.51.100.3' })).status).toBe(200);
  });

  it('caps sessions per IP, and in all by closing the least recently used', async () => {
    const open = async (ip: string) => post(stack.mcpUrl, initialize, { 'x-forwarded-for': ip });
    const fromOne = [];
    for (let i = 0; i < 7; i++) fromOne.push(await open('198.51.100.4'));
    expect(fromOne.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(fromOne[5]!.body).toMatch(/Too many open MCP sessions/);
    const first = fromOne[0]!.headers['mcp-session-id'] as string;
    expect(first).toBeTruthy();

    // 8 in all: four more from other addresses push out the oldest of the five above.
    for (let i = 0; i < 4; i++) expect((await open(`198.51.100.${10 + i}`)).status).toBe(200);
    const gone = await post(stack.mcpUrl, rpc('tools/list'), { 'x-forwarded-for': '198.51.100.4', 'mcp-session-id': first, 'mcp-protocol-version': '2025-06-18' });
    expect(gone.status).toBe(404);
    // The evicted session freed its address's slot.
    expect((await open('198.51.100.4')).status).toBe(200);
  });
});

describe('gateway edge: idle sessions', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ services: [], gatewayEnv: { MCP_SESSION_IDLE_S: '1' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('closes a session idle past MCP_SESSION_IDLE_S and keeps one in use', async () => {
    const idle = (await post(stack.mcpUrl, initialize)).headers['mcp-session-id'] as string;
    const used = (await post(stack.mcpUrl, initialize)).headers['mcp-session-id'] as string;
    const list = (id: string) => post(stack.mcpUrl, rpc('tools/list'), { 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' });
    // The sweep runs about every second; the used session is touched more often than that.
    const deadline = Date.now() + 3_500;
    while (Date.now() < deadline) {
      expect((await list(used)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect((await list(idle)).status).toBe(404);
    expect((await list(used)).status).toBe(200);
  });
});
