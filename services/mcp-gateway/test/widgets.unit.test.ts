import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@shop/kit';
import { loadWidgets, widgetResourceMeta } from '../src/mcp/widgets.js';
import { allowedHostList } from '../src/config.js';

describe('widget resources', () => {
  it('serves the built file when it exists and the readable fallback otherwise', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'widgets-'));
    writeFileSync(path.join(dir, 'cart.html'), '<!doctype html><title>built cart</title>');
    const widgets = await loadWidgets(dir, createLogger('test', 'silent'));
    expect(widgets.map((w) => [w.uri, w.fallback])).toEqual([
      ['ui://widget/product-list.html', true],
      ['ui://widget/product-detail.html', true],
      ['ui://widget/cart.html', false],
      ['ui://widget/checkout.html', true],
      ['ui://widget/order.html', true],
    ]);
    expect(widgets.find((w) => w.name === 'cart')?.html).toBe('<!doctype html><title>built cart</title>');
    const fallback = widgets.find((w) => w.name === 'order')!.html;
    expect(fallback).toContain('<title>Order</title>');
    expect(fallback).toContain('window.openai.toolOutput');
    // Values are escaped before they reach innerHTML.
    expect(fallback).toContain("'<': '&lt;'");
  });

  it('lists the public origin in both CSP forms', () => {
    expect(widgetResourceMeta('cart', 'https://shop.example.com/base')).toMatchObject({
      ui: { csp: { connectDomains: ['https://shop.example.com'], resourceDomains: ['https://shop.example.com'] }, prefersBorder: true },
      'openai/widgetCSP': { connect_domains: ['https://shop.example.com'], resource_domains: ['https://shop.example.com'] },
      'openai/widgetPrefersBorder': true,
    });
  });
});

describe('allowed hosts', () => {
  it('defaults to loopback names plus the public host, or takes the configured list', () => {
    expect(allowedHostList(undefined, 'https://abc.ngrok.app')).toEqual(['localhost', '127.0.0.1', '[::1]', 'abc.ngrok.app']);
    expect(allowedHostList(' Shop.Example.com, ,api.example.com', 'http://localhost:3000')).toEqual(['shop.example.com', 'api.example.com', 'localhost']);
  });
});

describe('configuration', () => {
  it('has working defaults and names a bad variable', async () => {
    const { loadGatewayConfig } = await import('../src/config.js');
    const c = loadGatewayConfig({});
    expect(c).toMatchObject({ HTTP_PORT: 3000, PUBLIC_URL: 'http://localhost:3000', RATE_LIMIT_PER_MINUTE: 300, NATS_PREFIX: '' });
    expect(c.WIDGETS_DIR).toMatch(/widgets[\\/]dist$/);
    expect(() => loadGatewayConfig({ RATE_LIMIT_PER_MINUTE: '-3' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(() => loadGatewayConfig({ PUBLIC_URL: 'not a url' })).toThrow(/PUBLIC_URL/);
  });
});
