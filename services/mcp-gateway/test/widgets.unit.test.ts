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
    expect(widgets.map((w) => [w.uri, w.previousUris, w.fallback])).toEqual([
      ['ui://widget/product-list.v3.html', ['ui://widget/product-list.html', 'ui://widget/product-list.v2.html'], true],
      ['ui://widget/product-detail.v3.html', ['ui://widget/product-detail.html', 'ui://widget/product-detail.v2.html'], true],
      ['ui://widget/cart.v3.html', ['ui://widget/cart.html', 'ui://widget/cart.v2.html'], false],
      ['ui://widget/checkout.v3.html', ['ui://widget/checkout.html', 'ui://widget/checkout.v2.html'], true],
      ['ui://widget/order.v3.html', ['ui://widget/order.html', 'ui://widget/order.v2.html'], true],
    ]);
    expect(widgets.find((w) => w.name === 'cart')?.html).toBe('<!doctype html><title>built cart</title>');
    const fallback = widgets.find((w) => w.name === 'order')!.html;
    expect(fallback).toContain('<title>Order</title>');
    expect(fallback).toContain('window.openai.toolOutput');
    // Values are escaped before they reach innerHTML.
    expect(fallback).toContain("'<': '&lt;'");
  });

  it('lists the public origin in both CSP forms, the widget domain and the payments origin as a link target', () => {
    const site = { publicUrl: 'https://shop.example.com/base', widgetDomain: 'shop-example-com.oaiusercontent.com', linkOrigins: ['https://pay.example.com'] };
    expect(widgetResourceMeta('cart', site)).toMatchObject({
      ui: { csp: { connectDomains: ['https://shop.example.com'], resourceDomains: ['https://shop.example.com'] }, domain: 'shop-example-com.oaiusercontent.com', prefersBorder: true },
      'openai/widgetCSP': { connect_domains: ['https://shop.example.com'], resource_domains: ['https://shop.example.com'], redirect_domains: ['https://pay.example.com'] },
      'openai/widgetDomain': 'shop-example-com.oaiusercontent.com',
      'openai/widgetPrefersBorder': true,
    });
    // No payments origin configured: no redirect_domains at all rather than an empty list.
    expect(widgetResourceMeta('cart', { ...site, linkOrigins: [] })['openai/widgetCSP']).toEqual({ connect_domains: ['https://shop.example.com'], resource_domains: ['https://shop.example.com'] });
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
    expect([c.widgetDomain, c.linkOrigins]).toEqual(['http://localhost:3000', []]);
    expect(loadGatewayConfig({ WIDGET_DOMAIN: 'abc.claudemcpcontent.com', PAYMENTS_PUBLIC_URL: 'https://pay.example.com/checkout' })).toMatchObject({ widgetDomain: 'abc.claudemcpcontent.com', linkOrigins: ['https://pay.example.com'] });
    expect(() => loadGatewayConfig({ PAYMENTS_PUBLIC_URL: 'nope' })).toThrow(/PAYMENTS_PUBLIC_URL/);
    expect(() => loadGatewayConfig({ RATE_LIMIT_PER_MINUTE: '-3' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(() => loadGatewayConfig({ PUBLIC_URL: 'not a url' })).toThrow(/PUBLIC_URL/);
  });
});
