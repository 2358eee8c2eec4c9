import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { McpServer } from '@modelcontextprotocol/server';
import type { McpUiResourceMeta } from '@modelcontextprotocol/ext-apps';
import { registerAppResource, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { previousWidgetUris, WidgetName, widgetUri } from '@shop/contracts';
import type { Logger } from '@shop/kit';

const descriptions: Record<WidgetName, { title: string; description: string }> = {
  'product-list': { title: 'Product list', description: 'Shows product search results with prices, stock and filters; the shopper can open a product or add it to the cart.' },
  'product-detail': { title: 'Product details', description: 'Shows one product with its sizes, colors, per-variant stock and related products; the shopper can add it to the cart.' },
  cart: { title: 'Cart', description: 'Shows the cart with quantities, coupon and totals; the shopper can change quantities, remove items and apply coupons.' },
  checkout: { title: 'Checkout', description: 'Shows the checkout steps, shipping options, saved payment methods and the order total; the shopper can fill in details and place the order.' },
  order: { title: 'Order', description: 'Shows an order (or a list of orders) with status, items, totals, delivery estimate and tracking.' },
};

export interface Widget {
  name: WidgetName;
  uri: string;
  /** Earlier URIs of this widget that hosts may have cached: they resolve to the same HTML. */
  previousUris: string[];
  html: string;
  /** True when widgets/dist had no build for it and the readable fallback page is served. */
  fallback: boolean;
}

/** Where the widgets live and what they may reach, for the resource `_meta` of both hosts. */
export interface WidgetSite {
  /** The gateway's public URL: the widgets load images from it and call nothing else. */
  publicUrl: string;
  /** The widgets' dedicated sandbox origin (`ui.domain`, `openai/widgetDomain`); its format is the host's. */
  widgetDomain: string;
  /** Origins the widgets open as links (the payments checkout page): ChatGPT's `redirect_domains`. */
  linkOrigins: string[];
}

/** Reads the built widget files once at start; a missing build gets the fallback page. */
export async function loadWidgets(dir: string, logger: Logger): Promise<Widget[]> {
  return Promise.all(
    WidgetName.options.map(async (name) => {
      const base = { name, uri: widgetUri(name), previousUris: previousWidgetUris(name) };
      try {
        return { ...base, html: await readFile(path.join(dir, `${name}.html`), 'utf8'), fallback: false };
      } catch {
        logger.warn({ widget: name, dir }, 'widget build not found; serving the fallback page');
        return { ...base, html: fallbackHtml(descriptions[name].title), fallback: true };
      }
    }),
  );
}

/**
 * The resource `_meta` for MCP Apps hosts (`ui`, typed by ext-apps) and ChatGPT (`openai/*`).
 * MCP Apps 2026-01-26 has no field for link targets (a host confirms each `ui/open-link`);
 * ChatGPT takes them as `openai/widgetCSP.redirect_domains`.
 */
export function widgetResourceMeta(name: WidgetName, site: WidgetSite): { ui: McpUiResourceMeta; [key: string]: unknown } {
  const origin = new URL(site.publicUrl).origin;
  return {
    ui: { csp: { connectDomains: [origin], resourceDomains: [origin] }, domain: site.widgetDomain, prefersBorder: true },
    'openai/widgetCSP': { connect_domains: [origin], resource_domains: [origin], ...(site.linkOrigins.length ? { redirect_domains: site.linkOrigins } : {}) },
    'openai/widgetDomain': site.widgetDomain,
    'openai/widgetDescription': descriptions[name].description,
    'openai/widgetPrefersBorder': true,
  };
}

/** Every widget at its current URI, and at each earlier URI hosts may still have cached. */
export function registerWidgets(server: McpServer, widgets: Widget[], site: WidgetSite): void {
  for (const w of widgets) {
    const meta = widgetResourceMeta(w.name, site);
    const { title, description } = descriptions[w.name];
    const read = (uri: URL) => ({ contents: [{ uri: uri.href, mimeType: RESOURCE_MIME_TYPE, text: w.html, _meta: meta }] });
    registerAppResource(server, w.name, w.uri, { title, description, _meta: meta }, read);
    for (const [i, uri] of w.previousUris.entries()) {
      registerAppResource(server, `${w.name}-v${i + 1}`, uri, { title: `${title} (earlier URI)`, description: `${description} The same widget as ${w.uri}, for hosts that cached this URI.`, _meta: meta }, read);
    }
  }
}

/**
 * A minimal page that renders the tool result as readable text, used until the widgets workspace
 * has built the real one. It reads `window.openai.toolOutput` (ChatGPT) or the MCP Apps
 * `ui/notifications/tool-result` message.
 */
export function fallbackHtml(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:12px;color:#222}h1{font-size:16px;margin:0 0 8px}ul{padding-left:18px;margin:4px 0}li{margin:2px 0}.k{color:#666}</style>
</head><body><h1>${title}</h1><div id="root">Loading…</div>
<script>
(function () {
  var root = document.getElementById('root');
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
  function render(v, depth) {
    if (v === null || v === undefined) return '<span class="k">none</span>';
    if (Array.isArray(v)) return v.length ? '<ul>' + v.map(function (x) { return '<li>' + render(x, depth + 1) + '</li>'; }).join('') + '</ul>' : '<span class="k">none</span>';
    if (typeof v === 'object') {
      if (depth > 4) return '…';
      return '<ul>' + Object.keys(v).map(function (k) { return '<li><span class="k">' + esc(k.replace(/_/g, ' ')) + ':</span> ' + render(v[k], depth + 1) + '</li>'; }).join('') + '</ul>';
    }
    return esc(v);
  }
  function show(data) { if (data) root.innerHTML = render(data, 0); }
  if (window.openai && window.openai.toolOutput) show(window.openai.toolOutput);
  window.addEventListener('openai:set_globals', function () { if (window.openai) show(window.openai.toolOutput); });
  window.addEventListener('message', function (e) {
    var m = e.data;
    if (m && m.jsonrpc === '2.0' && m.method === 'ui/notifications/tool-result' && m.params) show(m.params.structuredContent || m.params);
  });
  if (window.parent !== window) {
    window.parent.postMessage({ jsonrpc: '2.0', id: 1, method: 'ui/initialize', params: { appInfo: { name: 'fallback-widget', version: '1.0.0' }, appCapabilities: {}, protocolVersion: '2026-01-26' } }, '*');
  }
})();
</script></body></html>
`;
}
