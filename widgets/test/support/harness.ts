// Browser test harness: serves the built widgets and a test host page on loopback, drives
// Debian's Chromium through playwright-core, and mounts a widget the way a host would.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { build } from 'vite';
import { withOpenAiShim } from '../../src/host/openai-host';

export const widgetsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const repoRoot = path.resolve(widgetsDir, '..');
export const screenshotsDir = path.join(repoRoot, 'artifacts', 'screenshots');
export const WIDGETS = ['product-list', 'product-detail', 'cart', 'checkout', 'order'] as const;
export type WidgetName = (typeof WIDGETS)[number];

export type ToolCallResult = { structuredContent?: Record<string, unknown>; content?: Array<{ type: string; text?: string }>; isError?: boolean; _meta?: Record<string, unknown> };
export type ToolHandler = (name: string, args: Record<string, unknown>) => Promise<ToolCallResult>;
export type HostMode = 'openai' | 'apps';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the widgets when dist/ is missing or older than the sources, so tests never run stale files. */
export function ensureWidgetsBuilt(): void {
  const outputs = WIDGETS.map((w) => path.join(widgetsDir, 'dist', `${w}.html`));
  const oldest = outputs.every(existsSync) ? Math.min(...outputs.map((o) => statSync(o).mtimeMs)) : 0;
  if (oldest > newestMtime(path.join(widgetsDir, 'src'))) return;
  const run = spawnSync(process.execPath, [path.join(widgetsDir, 'build.mjs')], { cwd: widgetsDir, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`widget build failed:\n${run.stdout}\n${run.stderr}`);
}

/** The host page's modules: the MCP Apps host (test/host) and the window.openai host (src/host, shared with the playground). */
async function bundleHostModules(outDir: string): Promise<{ appsHost: string; openaiHost: string }> {
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      lib: {
        entry: { 'apps-host': path.join(widgetsDir, 'test/host/apps-host.ts'), 'openai-host': path.join(widgetsDir, 'src/host/openai-host.ts') },
        formats: ['es'],
        fileName: (_format, name) => `${name}.js`,
      },
      minify: false,
    },
  });
  return { appsHost: readFileSync(path.join(outDir, 'apps-host.js'), 'utf8'), openaiHost: readFileSync(path.join(outDir, 'openai-host.js'), 'utf8') };
}

function productSvg(name: string): string {
  // A deterministic placeholder picture per product id, so fixture pages load no remote images.
  let hash = 0;
  for (const c of name) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const hue = hash % 360;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200"><rect width="200" height="200" fill="hsl(${hue} 60% 70%)"/><circle cx="100" cy="100" r="50" fill="hsl(${(hue + 180) % 360} 50% 40%)"/></svg>`;
}

export interface Harness {
  baseUrl: string;
  /** The MCP Apps sandbox proxy, on an origin of its own. */
  sandboxUrl: string;
  context: BrowserContext;
  screenshots: string[];
  newPage(handler: ToolHandler, width?: number): Promise<Page>;
  close(): Promise<void>;
}

/** A resource's `_meta.ui.csp` (MCP Apps): the origins a widget may reach. */
export interface CspDomains {
  connectDomains?: string[];
  resourceDomains?: string[];
  frameDomains?: string[];
  baseUriDomains?: string[];
}

/** The sandbox's policy, the way ext-apps' basic-host builds it: own origin and inline code, plus the listed origins. */
export function sandboxCsp(csp: CspDomains | undefined): string {
  // Only origins: an entry that could smuggle in a directive or keyword is dropped.
  const list = (d?: string[]) => (d ?? []).filter((x) => typeof x === 'string' && !/[;\r\n'" ]/.test(x)).join(' ');
  const res = list(csp?.resourceDomains);
  return [
    "default-src 'self' 'unsafe-inline'",
    `script-src 'self' 'unsafe-inline' blob: data: ${res}`.trim(),
    `style-src 'self' 'unsafe-inline' blob: data: ${res}`.trim(),
    `img-src 'self' data: blob: ${res}`.trim(),
    `font-src 'self' data: blob: ${res}`.trim(),
    `connect-src 'self' ${list(csp?.connectDomains)}`.trim(),
    list(csp?.frameDomains) ? `frame-src ${list(csp?.frameDomains)}` : "frame-src 'none'",
    "object-src 'none'",
    list(csp?.baseUriDomains) ? `base-uri ${list(csp?.baseUriDomains)}` : "base-uri 'none'",
  ].join('; ');
}

export interface HarnessOptions {
  /** Where widget HTML comes from; by default widgets/dist (live runs read the gateway's ui:// resources). */
  widgetHtml?: (name: WidgetName) => Promise<string>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  ensureWidgetsBuilt();
  const widgetHtml = options.widgetHtml ?? (async (name: WidgetName) => readFileSync(path.join(widgetsDir, 'dist', `${name}.html`), 'utf8'));
  const work = mkdtempSync(path.join(tmpdir(), 'widgets-test-'));
  const { appsHost, openaiHost } = await bundleHostModules(path.join(work, 'host-modules'));
  const hostHtml = readFileSync(path.join(widgetsDir, 'test/host/host.html'), 'utf8');
  const sandboxHtml = readFileSync(path.join(widgetsDir, 'test/host/sandbox.html'), 'utf8');
  const shim = readFileSync(path.join(widgetsDir, 'src/host/openai-shim.js'), 'utf8');

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (type: string, body: string, status = 200) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/host.html') return send('text/html; charset=utf-8', hostHtml);
    const raw = /^\/widget-html\/([a-z-]+)\.html$/.exec(url.pathname)?.[1];
    if (raw && (WIDGETS as readonly string[]).includes(raw)) {
      // The MCP Apps host hands the HTML over the bridge, as read from the resource: no shim.
      try {
        return send('text/html; charset=utf-8', await widgetHtml(raw as WidgetName));
      } catch (e) {
        return send('text/plain', `widget ${raw} unavailable: ${(e as Error).message}`, 502);
      }
    }
    if (url.pathname === '/apps-host.js') return send('text/javascript', appsHost);
    if (url.pathname === '/openai-host.js') return send('text/javascript', openaiHost);
    const widget = /^\/widget\/([a-z-]+)\.html$/.exec(url.pathname)?.[1];
    if (widget && (WIDGETS as readonly string[]).includes(widget)) {
      let html: string;
      try {
        html = await widgetHtml(widget as WidgetName);
      } catch (e) {
        return send('text/plain', `widget ${widget} unavailable: ${(e as Error).message}`, 502);
      }
      // The ChatGPT-style injection runs before the widget's own script; in MCP Apps mode it finds no host object and does nothing.
      return send('text/html; charset=utf-8', withOpenAiShim(html, shim));
    }
    const img = /^\/img\/([\w-]+)\.svg$/.exec(url.pathname)?.[1];
    if (img) return send('image/svg+xml', productSvg(img));
    send('text/plain', 'not found', 404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The sandbox proxy's own origin (another port), as an MCP Apps host must have it. The widget's CSP
  // comes as a header built from ?csp=; the fixtures' relative /img/ pictures resolve here.
  const sandboxServer: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/sandbox.html') {
      let csp: CspDomains | undefined;
      try {
        csp = url.searchParams.has('csp') ? (JSON.parse(url.searchParams.get('csp')!) as CspDomains) : undefined;
      } catch {
        res.writeHead(400).end('bad csp');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': sandboxCsp(csp) });
      return res.end(sandboxHtml);
    }
    const img = /^\/img\/([\w-]+)\.svg$/.exec(url.pathname)?.[1];
    if (img) {
      res.writeHead(200, { 'content-type': 'image/svg+xml' });
      return res.end(productSvg(img));
    }
    res.writeHead(404).end('only the sandbox is served here');
  });
  await new Promise<void>((resolve) => sandboxServer.listen(0, '127.0.0.1', resolve));
  const sandboxUrl = `http://localhost:${(sandboxServer.address() as AddressInfo).port}/sandbox.html`;

  const context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1024, height: 800 },
  });
  mkdirSync(screenshotsDir, { recursive: true });

  return {
    baseUrl,
    sandboxUrl,
    context,
    screenshots: [],
    async newPage(handler, width = 1024) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: 800 });
      await page.exposeFunction('__callTool', (name: string, args: Record<string, unknown>) => handler(name, args ?? {}));
      return page;
    },
    async close() {
      await context.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => sandboxServer.close(() => resolve()));
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export interface MountOptions {
  mode: HostMode;
  widget: WidgetName;
  result: ToolCallResult;
  input?: Record<string, unknown>;
  theme?: 'light' | 'dark';
  locale?: string;
  /** Wait until the widget renders a result (default); false to look at loading and error states. */
  waitForResult?: boolean;
  /** MCP Apps only: the host's style variables. */
  styles?: Record<string, string>;
  /** MCP Apps only: cancel the tool call with this reason instead of sending the result. */
  cancel?: string;
  /** MCP Apps only: the resource's CSP (default: the sandbox's own origin only). */
  csp?: CspDomains;
}

/** Opens the host page and renders a widget for a tool result, as a host does after a tool call. */
export async function mount(h: Harness, page: Page, { mode, widget, result, input = {}, theme = 'light', locale = 'en-US', waitForResult = true, styles, cancel, csp }: MountOptions): Promise<Frame> {
  await page.goto(`${h.baseUrl}/host.html`);
  const opts = { widget, result, input, theme, locale };
  if (mode === 'openai') await page.evaluate((o) => (window as unknown as { __mountOpenAi(o: unknown): void }).__mountOpenAi(o), opts);
  else await page.evaluate((o) => (window as unknown as { __mountApps(o: unknown): Promise<void> }).__mountApps(o), { ...opts, styles, cancel, csp, sandboxUrl: h.sandboxUrl });
  const frame = await waitForFrame(page, mode, widget);
  await frame.waitForSelector(waitForResult ? `main[data-widget="${widget}"]:not([data-kind="none"])` : `main[data-widget="${widget}"]`);
  return frame;
}

/** The widget's own frame: the host page's child in ChatGPT mode, the sandbox proxy's child in MCP Apps mode. */
async function waitForFrame(page: Page, mode: HostMode, widget: string): Promise<Frame> {
  for (let i = 0; i < 100; i++) {
    const frame = page.frames().find((f) => (mode === 'openai' ? f.url().endsWith(`/widget/${widget}.html`) : !!f.parentFrame()?.url().includes('/sandbox.html')));
    if (frame) {
      await frame.waitForLoadState('load');
      return frame;
    }
    await page.waitForTimeout(50);
  }
  throw new Error(`widget frame ${widget} did not load`);
}

/**
 * Waits until the host has applied the widget's latest size report: the frame is as tall as the
 * widget's content and stayed so across two checks. A report still on its way (the MCP Apps bridge
 * posts it through the sandbox proxy) resizes the frame later, and a frame that grows snaps the
 * widget's own scroll back: a click aimed before that lands elsewhere. Call it after a change of
 * view, before pointing at something that moved.
 */
export async function frameSettled(page: Page, frame: Frame): Promise<void> {
  let last = -1;
  for (let i = 0; i < 100; i++) {
    const content = await frame.evaluate(() => Math.ceil(document.body.getBoundingClientRect().height));
    const height = await page.evaluate(() => Math.floor((document.querySelector('iframe') as HTMLIFrameElement).getBoundingClientRect().height));
    if (height + 1 >= content && height === last) return;
    last = height;
    await page.waitForTimeout(50);
  }
}

/** True when the widget fits its frame's width (no horizontal scrolling). */
export async function fitsWidth(frame: Frame): Promise<{ scrollWidth: number; clientWidth: number }> {
  return frame.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
}

export async function screenshot(h: Harness, page: Page, name: string): Promise<string> {
  const file = path.join(screenshotsDir, `${name}.png`);
  // Let the frame settle to its reported height first.
  await page.waitForTimeout(150);
  await page.screenshot({ path: file, fullPage: true });
  h.screenshots.push(path.relative(repoRoot, file));
  return file;
}

export async function hostLog(page: Page): Promise<Array<{ kind: string; value: unknown }>> {
  return page.evaluate(() => (window as unknown as { __hostLog: Array<{ kind: string; value: unknown }> }).__hostLog);
}
