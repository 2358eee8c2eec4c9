import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMS_VERSION, toolsWithoutWidget } from '@shop/contracts';
import { connectClient, errorText, startTestStack, type TestStack } from './support/stack.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SNAPSHOT = path.join(here, 'tools-list.snapshot.json');
const ANNOTATIONS = ['readOnlyHint', 'destructiveHint', 'openWorldHint'] as const;
const WITHOUT_WIDGET = new Set<string>(toolsWithoutWidget);

function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const rpc = (method: string, params: Record<string, unknown> = {}, id = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params });

// The gateway alone (no domain services): its MCP surface, transport modes and HTTP safety.
describe('gateway surface', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ services: [], gatewayEnv: { WIDGETS_DIR: mkdtempSync(path.join(os.tmpdir(), 'no-widgets-')), RATE_LIMIT_PER_MINUTE: '40', ALLOWED_ORIGINS: 'https://chatgpt.com', WIDGET_DOMAIN: 'shop-widgets.example', PAYMENTS_PUBLIC_URL: 'https://pay.example.com/' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('lists every tool with title, "Use this when" description, schemas, explicit hints and widget _meta', async () => {
    const c = await connectClient(stack.mcpUrl);
    const { tools } = await c.client.listTools();
    await c.close();
    for (const t of tools) {
      expect(t.title, t.name).toBeTruthy();
      expect(t.description, t.name).toMatch(/^Use this when/);
      expect(t.outputSchema?.type, t.name).toBe('object');
      expect(t.inputSchema.additionalProperties, t.name).toBe(false);
      for (const hint of ANNOTATIONS) expect(typeof t.annotations?.[hint], `${t.name}.${hint}`).toBe('boolean');
      const meta = t._meta as Record<string, any>;
      if (WITHOUT_WIDGET.has(t.name)) {
        // Read by the model alone: no widget resource, and widgets cannot call it.
        expect(meta.ui, t.name).toEqual({ visibility: ['model'] });
        expect(meta['openai/outputTemplate'], t.name).toBeUndefined();
        expect(meta['openai/widgetAccessible']).toBe(false);
      } else {
        expect(meta.ui.resourceUri).toBe(meta['openai/outputTemplate']);
        expect(meta.ui.resourceUri).toMatch(/^ui:\/\/widget\/[a-z-]+\.v\d+\.html$/);
        expect(meta.ui.visibility).toEqual(['model', 'app']);
        expect(meta['openai/widgetAccessible']).toBe(true);
      }
      expect(meta['openai/toolInvocation/invoking'].length).toBeLessThanOrEqual(64);
      expect(meta['openai/toolInvocation/invoked'].length).toBeLessThanOrEqual(64);
    }
    const destructive = tools.filter((t) => t.annotations?.destructiveHint).map((t) => t.name);
    expect(destructive.sort()).toEqual(['cancel_order', 'place_order', 'refund_order']);
    expect(tools.find((t) => t.name === 'place_order')?.description).toMatch(/charges.*irreversible/);
    expect(tools.find((t) => t.name === 'get_store_policies')).toMatchObject({
      title: 'Store policies',
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false, idempotentHint: true },
      outputSchema: { properties: { kind: { const: 'policy' } } },
    });

    // The committed snapshot pins names, argument names, annotations and _meta so the contract cannot drift silently.
    const actual = tools.map((t) => ({
      name: t.name,
      arguments: Object.keys((t.inputSchema.properties ?? {}) as object),
      required: t.inputSchema.required ?? [],
      annotations: t.annotations,
      meta: t._meta,
    }));
    if (process.env.UPDATE_SNAPSHOT === '1') writeFileSync(SNAPSHOT, `${JSON.stringify(actual, null, 2)}\n`);
    expect(actual).toEqual(JSON.parse(readFileSync(SNAPSHOT, 'utf8')));
  });

  it('serves the five widget resources at versioned URIs (earlier URIs resolving to the same page), with CSP, domain and link targets', async () => {
    const c = await connectClient(stack.mcpUrl);
    const { resources } = await c.client.listResources();
    const names = ['cart', 'checkout', 'order', 'product-detail', 'product-list'];
    expect(resources.map((r) => r.uri).sort()).toEqual([...names.map((n) => `ui://widget/${n}.html`), ...names.map((n) => `ui://widget/${n}.v2.html`), ...names.map((n) => `ui://widget/${n}.v3.html`)].sort());
    for (const r of resources) {
      expect(r.mimeType).toBe('text/html;profile=mcp-app');
      const meta = r._meta as Record<string, any>;
      expect(meta.ui).toEqual({ csp: { connectDomains: [stack.gatewayUrl], resourceDomains: [stack.gatewayUrl] }, domain: 'shop-widgets.example', prefersBorder: true });
      expect(meta['openai/widgetCSP']).toEqual({ connect_domains: [stack.gatewayUrl], resource_domains: [stack.gatewayUrl], redirect_domains: ['https://pay.example.com'] });
      expect(meta['openai/widgetDomain']).toBe('shop-widgets.example');
      expect(meta['openai/widgetDescription']).toBeTruthy();
      expect(meta['openai/widgetPrefersBorder']).toBe(true);
    }
    const current = (await c.client.readResource({ uri: 'ui://widget/cart.v3.html' })).contents[0] as { uri: string; text: string; mimeType: string; _meta?: Record<string, any> };
    expect(current).toMatchObject({ uri: 'ui://widget/cart.v3.html', mimeType: 'text/html;profile=mcp-app' });
    expect(current.text).toContain('<title>Cart</title>');
    expect(current.text).toContain('ui/notifications/tool-result');
    expect(current._meta?.ui.domain).toBe('shop-widgets.example');
    // A host that cached the URI of the previous version gets the same page.
    const earlier = (await c.client.readResource({ uri: 'ui://widget/cart.html' })).contents[0] as { uri: string; text: string; mimeType: string };
    expect(earlier).toMatchObject({ uri: 'ui://widget/cart.html', mimeType: 'text/html;profile=mcp-app', text: current.text });
    await c.close();
  });

  it('serves the store policies as plain, versioned pages', async () => {
    for (const [name, title] of [
      ['terms', 'Terms of service'],
      ['privacy', 'Privacy policy'],
      ['returns', 'Returns and refunds'],
      ['shipping', 'Shipping policy'],
    ]) {
      const res = await rawRequest(`${stack.gatewayUrl}/policies/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
      expect(res.body).toContain(`<h1>${title}</h1>`);
      expect(res.body).toMatch(/<p class="version">Version \d{4}-\d{2}-\d{2}<\/p>/);
      expect(res.body).not.toMatch(/<script/i);
      expect(res.body).toContain(`<a href="${stack.gatewayUrl}/policies/returns">Returns and refunds</a>`);
    }
    expect((await rawRequest(`${stack.gatewayUrl}/policies/terms`)).body).toContain(`Version ${TERMS_VERSION}`);
    expect((await rawRequest(`${stack.gatewayUrl}/policies/returns`)).body).toContain('within 30 days of delivery');
    const index = await rawRequest(`${stack.gatewayUrl}/policies`);
    expect(index.body.match(/<li><a href="http:\/\/localhost:\d+\/policies\/\w+">/g)).toHaveLength(4);
    const unknown = await rawRequest(`${stack.gatewayUrl}/policies/%3Cscript%3E`);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error).toMatchObject({ code: 'NOT_FOUND', message: 'No policy named "<script>": the policies are terms, privacy, returns, shipping.' });
    expect(unknown.headers['content-type']).toMatch(/^application\/json/);
  });

  it('answers policy questions in the store\'s own words, without a widget and without the domain services', async () => {
    const c = await connectClient(stack.mcpUrl);
    const all = await c.call('get_store_policies');
    expect(all.isError).toBeFalsy();
    expect(all._meta?.['openai/widgetSessionId']).toBeUndefined();
    const everything = all.structuredContent as any;
    expect(everything).toMatchObject({ kind: 'policy', topic: null });
    expect(everything.policies.map((p: any) => [p.name, p.url])).toEqual(['terms', 'privacy', 'returns', 'shipping'].map((n) => [n, `${stack.gatewayUrl}/policies/${n}`]));
    expect(everything.policies[0].version).toBe(TERMS_VERSION);

    const refunds = await c.call('get_store_policies', { topic: 'refunds' });
    const returns = (refunds.structuredContent as any).policies;
    expect(returns.map((p: any) => p.name)).toEqual(['returns']);
    expect(returns[0].sections.map((s: any) => s.heading)).toContain('Refunds');
    const text = (refunds.content as any)[0].text as string;
    expect(text).toContain(`Returns and refunds (version ${returns[0].version}, ${stack.gatewayUrl}/policies/returns):`);
    expect(text).toContain('You can return any item within 30 days of delivery');
    expect(text).toContain('within 5–10 business days');

    const express = (await c.call('get_store_policies', { topic: 'How long does express delivery take?' })).structuredContent as any;
    expect(express.topic).toBe('How long does express delivery take?');
    expect(express.policies).toHaveLength(1);
    expect(express.policies[0].sections[0].heading).toBe('Shipping methods, prices and delivery times');
    expect(express.policies[0].sections[0].text).toContain('Express shipping takes 2–3 business days and costs $12.99');

    const nothing = (await c.call('get_store_policies', { topic: 'zebra xylophone' })).structuredContent as any;
    expect(nothing.notice).toBe('Nothing in the store policies matched "zebra xylophone", so every policy is given in full.');
    expect(nothing.policies).toHaveLength(4);

    const tooLong = await c.call('get_store_policies', { topic: 'x'.repeat(101) });
    expect(errorText(tooLong)).toBe('Invalid topic: must be at most 100 characters');
    expect(tooLong._meta?.['shop/error']).toMatchObject({ code: 'INVALID_INPUT', details: { issues: [{ field: 'topic', rule: 'too_big' }] } });
    expect(errorText(await c.call('get_store_policies', { topic: 'returns', extra: 1 }))).toMatch(/extra|Unrecognized/i);
    await c.close();
  });

  it('answers stateless requests (no session header) with a fresh server each time', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await rawRequest(stack.mcpUrl, { method: 'POST', headers: mcpHeaders, body: rpc('tools/list', {}, i) });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).result.tools).toHaveLength(19);
    }
    const unknown = await rawRequest(stack.mcpUrl, { method: 'POST', headers: { ...mcpHeaders, 'mcp-session-id': 'no-such-session' }, body: rpc('tools/list') });
    expect(unknown.status).toBe(404);
  });

  it('refuses bad arguments in the schema, and reports an unreachable store as a tool error', async () => {
    const c = await connectClient(stack.mcpUrl);
    expect(errorText(await c.call('search_products', { min_price: -5 }))).toMatch(/min_price/);
    expect(errorText(await c.call('search_products', { query: 'x'.repeat(5000) }))).toMatch(/query/);
    expect(errorText(await c.call('get_product_details', { product_id: 42 }))).toMatch(/product_id/);
    expect(errorText(await c.call('add_to_cart', { product_id: '22222222-2222-4222-8222-222222222222', card_number: '4242424242424242' }))).toMatch(/card_number|Unrecognized/i);
    const down = await c.call('search_products', { query: 'shoes' });
    expect(errorText(down)).toBe('Part of the store is temporarily unavailable. Please try again in a moment. You can try again.');
    expect(JSON.stringify(down)).not.toMatch(/at .*\.js:\d+/);
    await c.close();
  });

  it('validates the Host header against the allowed hosts', async () => {
    const evil = await rawRequest(stack.mcpUrl, { method: 'POST', headers: { ...mcpHeaders, host: 'evil.example' }, body: rpc('tools/list') });
    expect(evil.status).toBe(403);
    const local = await rawRequest(stack.mcpUrl, { method: 'POST', headers: { ...mcpHeaders, host: `127.0.0.1:${new URL(stack.gatewayUrl).port}` }, body: rpc('tools/list') });
    expect(local.status).toBe(200);
  });

  it('allows browser hosts through CORS with the MCP headers', async () => {
    const res = await rawRequest(stack.mcpUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://chatgpt.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,mcp-session-id,mcp-protocol-version' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://chatgpt.com');
    expect(String(res.headers['access-control-allow-headers'])).toContain('mcp-session-id');
    expect(String(res.headers['access-control-allow-headers'])).toContain('last-event-id');
    const post = await rawRequest(stack.mcpUrl, { method: 'POST', headers: { ...mcpHeaders, origin: 'https://chatgpt.com' }, body: rpc('tools/list') });
    expect(String(post.headers['access-control-expose-headers'])).toContain('Mcp-Session-Id');
  });

  it('limits request size', async () => {
    const huge = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'search_products', arguments: { query: 'x'.repeat(300_000) } } });
    const res = await rawRequest(stack.mcpUrl, { method: 'POST', headers: mcpHeaders, body: huge });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'INVALID_INPUT', message: 'The request body is too large' });
  });

  it('rate-limits per subject with a clear 429, leaving other subjects alone', async () => {
    const call = (subject: string) =>
      rawRequest(stack.mcpUrl, {
        method: 'POST',
        headers: mcpHeaders,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'openai/subject': subject } } }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 41; i++) statuses.push((await call('greedy-user')).status);
    expect(statuses.slice(0, 40).every((s) => s === 200)).toBe(true);
    const limited = await call('greedy-user');
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body)).toEqual({ error: { code: 'RATE_LIMITED', message: 'Too many requests: please wait a minute and try again.', details: { limit_per_minute: 40 } } });
    expect((await call('patient-user')).status).toBe(200);
  });

  it('is alive, and not ready while the domain services are missing', async () => {
    expect((await rawRequest(`${stack.gatewayUrl}/healthz`)).status).toBe(200);
    const ready = await rawRequest(`${stack.gatewayUrl}/readyz`, { headers: { host: '10.1.2.3' } });
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body).checks).toEqual({ nats: true, catalog: false, cart: false, payments: false, orders: false });
  });
});
