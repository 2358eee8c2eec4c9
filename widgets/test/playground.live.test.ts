// The playground against the running system: every service and the gateway as processes
// (@shop/launcher startStack), the page from the gateway's GET /playground in headless Chromium,
// its MCP client talking to the gateway's /mcp from the same origin. One purchase end to end:
// search (console) → add with a size (the widget's own button, in its frame) → view cart
// (console) → update_checkout (console form) → place_order (console) → the order widget; then the
// theme toggle, a new conversation (an empty cart) and a widget's follow-up message in the log.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { dropDatabase } from '@shop/kit';
import { testNatsUrl, testServerUrl } from '@shop/kit/testing';
import { ensureWidgetsBuilt, screenshotsDir, widgetsDir } from './support/harness';

const repoRoot = path.resolve(widgetsDir, '..');
const stackBuilt = ['catalog', 'cart', 'orders', 'payments', 'mcp-gateway'].every((s) => existsSync(path.join(repoRoot, 'services', s, 'dist', 'main.js'))) && existsSync(path.join(repoRoot, 'packages/launcher/dist/index.js'));
const serviceDatabases = ['catalog', 'cart', 'orders', 'payments'];

type Stack = { gatewayUrl: string; mcpUrl: string; playgroundUrl: string; stop(): Promise<void>; databaseUrlFor(db: string): string };

function newestMtime(p: string): number {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(p).map((e) => newestMtime(path.join(p, e))));
}

/** Builds dist/playground.html when missing or older than its sources (the page and the shared host code). */
function ensurePlaygroundBuilt(): void {
  const out = path.join(widgetsDir, 'dist', 'playground.html');
  const sources = Math.max(newestMtime(path.join(widgetsDir, 'playground')), newestMtime(path.join(widgetsDir, 'src', 'host')));
  if (existsSync(out) && statSync(out).mtimeMs > sources) return;
  const run = spawnSync(process.execPath, [path.join(widgetsDir, 'build.mjs'), 'playground'], { cwd: widgetsDir, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`playground build failed:\n${run.stdout}\n${run.stderr}`);
}

const money = (text: string | null) => text?.replace(/\s/g, ' ').trim();

describe.skipIf(!stackBuilt)('playground on the live stack', () => {
  let stack: Stack;
  let context: BrowserContext;
  let profile: string;
  const shots: string[] = [];

  beforeAll(async () => {
    ensureWidgetsBuilt(); // the gateway reads the widgets at start
    ensurePlaygroundBuilt();
    const { startStack } = await import('@shop/launcher');
    stack = await startStack({ fresh: true, randomPorts: true, logLevel: 'warn', env: { ...process.env, DATABASE_URL: testServerUrl(), NATS_URL: testNatsUrl() } });
    profile = mkdtempSync(path.join(tmpdir(), 'playground-test-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 900 },
    });
    mkdirSync(screenshotsDir, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    console.log(`playground screenshots (${shots.length}):\n${shots.map((s) => `  ${s}`).join('\n')}`);
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (stack) {
      await stack.stop();
      for (const db of serviceDatabases) await dropDatabase(stack.databaseUrlFor(db));
    }
  });

  async function screenshot(page: Page, name: string) {
    const file = path.join(screenshotsDir, `playground-${name}.png`);
    await page.evaluate(() => window.scrollTo(0, 0)); // the widget pane is sticky: show it beside the top of the console
    await page.waitForTimeout(150); // let the frame settle to its reported height
    await page.screenshot({ path: file, fullPage: true });
    shots.push(path.relative(repoRoot, file));
  }

  /** Picks a tool in the console, fills its generated form and calls it. */
  async function callFromConsole(page: Page, tool: string, fill: (form: Locator) => Promise<void> = async () => {}) {
    const form = page.getByRole('form', { name: 'Tool call' });
    await form.getByLabel('Tool', { exact: true }).selectOption(tool);
    await fill(form);
    const before = await page.getByTestId('log-entry').count();
    await form.getByRole('button', { name: `Call ${tool}` }).click();
    const entry = page.getByTestId('log-entry').first();
    await expect.poll(() => page.getByTestId('log-entry').count()).toBeGreaterThan(before);
    await expect.poll(() => entry.getAttribute('data-status'), { timeout: 30_000 }).not.toBe('pending');
    return entry;
  }

  async function widget(page: Page, name: string): Promise<FrameLocator> {
    const frame = page.frameLocator(`iframe[title="${name} widget"]`);
    await frame.locator(`main[data-widget="${name}"]:not([data-kind="none"])`).waitFor({ timeout: 20_000 });
    return frame;
  }

  it('serves the page with a policy that lets it call /mcp on its own origin', async () => {
    const res = await fetch(stack.playgroundUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-eval');
    expect(await res.text()).toContain('<div id="root">');
  });

  describe('one purchase from the console: search, add with a size in the widget, view cart, update_checkout from the form, place_order', () => {
    let page: Page;
    const pageErrors: string[] = [];
    // What the page's MCP client sends to /mcp: its methods and whether it names an MCP session.
    const mcpRequests: Array<{ method: string | undefined; session: boolean }> = [];
    let reference: Client;
    let session: string | null;
    let subject: string;
    let meta: Record<string, string>;
    let list: FrameLocator;
    let order: FrameLocator;

    beforeAll(async () => {
      page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
      // The policy allows no eval: a blocked evaluation (a schema compiler) would show here.
      page.on('console', (m) => {
        if (/Content Security Policy|unsafe-eval/i.test(m.text())) pageErrors.push(m.text());
      });
      page.on('request', (r) => {
        if (new URL(r.url()).pathname !== '/mcp' || r.method() !== 'POST') return;
        const body = JSON.parse(r.postData() ?? '{}') as { method?: string };
        mcpRequests.push({ method: body.method, session: 'mcp-session-id' in r.headers() });
      });
      await page.goto(stack.playgroundUrl);
    });
    afterAll(async () => {
      await reference?.close();
      await page?.close();
    });

    it("the console offers exactly the gateway's live tools, with a conversation and a subject of its own", async () => {
      // The console offers exactly the gateway's live tools. The reference is an SDK 1.x client on the
      // 2025 handshake: a host on the other era sees the same tools and, with the same _meta, the same cart.
      reference = new Client({ name: 'playground-test', version: '1.0.0' });
      await reference.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl)));
      const liveTools = (await reference.listTools()).tools.map((t) => t.name);
      const toolPicker = page.getByRole('form', { name: 'Tool call' }).getByLabel('Tool', { exact: true });
      await toolPicker.waitFor();
      expect(await toolPicker.locator('option').allTextContents()).toEqual(liveTools);
      session = await page.getByTestId('session-id').textContent();
      expect(session).toMatch(/^conv-[0-9a-f]{16}$/);
      subject = await page.getByLabel('Subject').inputValue();
      expect(subject).toMatch(/^user-[0-9a-f]{16}$/);
    }, 60_000);

    it('search_products from the console renders the product list, over MCP 2026-07-28 with no session', async () => {
      // search_products from the console; the product-list widget renders the result.
      const search = await callFromConsole(page, 'search_products', async (form) => {
        await form.getByLabel('query', { exact: true }).fill('pegasus');
        await form.getByLabel('max_price', { exact: true }).fill('100');
        await form.getByLabel('sizes', { exact: true }).fill('10, 11');
      });
      expect(await search.getAttribute('data-status')).toBe('ok');
      const raw = JSON.parse((await page.getByTestId('raw-result').textContent())!) as { structuredContent: { kind: string; items: Array<{ name: string }> } };
      expect(raw.structuredContent.kind).toBe('product_list');
      expect(raw.structuredContent.items.map((i) => i.name)).toContain('Pegasus 41 Road Running Shoe');
      list = await widget(page, 'product-list');
      await screenshot(page, 'search');
      // The page's client is the SDK v2 client on 2026-07-28: no initialize handshake, no MCP session;
      // the conversation is the _meta each call carries.
      await page.locator('[data-testid="log-entry"][data-kind="info"]').filter({ hasText: 'MCP 2026-07-28' }).waitFor();
      expect(mcpRequests.map((r) => r.method)).toEqual(expect.arrayContaining(['tools/list', 'tools/call', 'resources/read']));
      expect(mcpRequests.map((r) => r.method)).not.toContain('initialize');
      expect(mcpRequests.filter((r) => r.session)).toEqual([]);
    }, 60_000);

    it("adding from the widget with a size goes through the page, into the conversation's cart", async () => {
      // Add to the cart from the widget's own button, choosing a size (and colour) in its frame.
      await list.getByRole('button', { name: 'Add Pegasus 41 Road Running Shoe to cart' }).click();
      await list.getByLabel('Size', { exact: true }).selectOption('10');
      await list.getByLabel('Colour', { exact: true }).selectOption('Black');
      await list.getByRole('button', { name: 'Add', exact: true }).click();
      await list.getByRole('status').filter({ hasText: /Pegasus 41 Road Running Shoe/ }).waitFor();
      // The widget's call went through the page: it is in the console log with its result.
      const widgetCall = page.locator('[data-testid="log-entry"][data-kind="widget-call"]').filter({ hasText: 'add_to_cart' });
      await expect.poll(() => widgetCall.getAttribute('data-status')).toBe('ok');
      await screenshot(page, 'added-from-widget');

      // The page sent its conversation id and subject: the same cart is visible to another client with them.
      meta = { 'openai/session': session!, 'openai/subject': subject };
      const cartSeen = (await reference.callTool({ name: 'view_cart', arguments: {}, _meta: meta })) as unknown as { structuredContent: { cart: { lines: Array<{ size: string | null; quantity: number }> } } };
      expect(cartSeen.structuredContent.cart.lines).toEqual([expect.objectContaining({ size: '10', quantity: 1 })]);
    }, 60_000);

    it('view_cart from the console shows the line added in the other frame', async () => {
      // view_cart from the console: the cart widget shows the line added in the other frame.
      await callFromConsole(page, 'view_cart');
      const cart = await widget(page, 'cart');
      const lines = cart.locator('[data-testid="cart-line"]');
      await expect.poll(() => lines.count()).toBe(1);
      expect(await lines.first().textContent()).toContain('Size 10');
      expect(money(await cart.getByTestId('total').textContent())).toBe('$97.86'); // 8999 + round_half_up(8999 × 8.75 %) = 787
      await screenshot(page, 'cart');
    }, 60_000);

    it('update_checkout from the generated form sends the address as a sub-form, the method, the card and the terms', async () => {
      // update_checkout from the generated form: the address as a sub-form, shipping as a select, the card, the terms.
      const checkout = await callFromConsole(page, 'update_checkout', async (form) => {
        await form.getByLabel('shipping_address.name', { exact: true }).fill('Ada Lovelace');
        await form.getByLabel('shipping_address.line1', { exact: true }).fill('1 Market St');
        await form.getByLabel('shipping_address.city', { exact: true }).fill('San Francisco');
        await form.getByLabel('shipping_address.state', { exact: true }).fill('CA');
        await form.getByLabel('shipping_address.postal_code', { exact: true }).fill('94107');
        await form.getByLabel('shipping_address.country', { exact: true }).fill('US');
        await form.getByLabel('shipping_method', { exact: true }).selectOption('express');
        await form.getByLabel('payment_method_id', { exact: true }).fill('pm_card_visa');
        await form.getByLabel('accept_terms', { exact: true }).check();
      });
      expect(await checkout.getAttribute('data-status'), await checkout.textContent() ?? '').toBe('ok');
      const sent = JSON.parse((await checkout.locator('details pre').textContent())!) as { request: { arguments: Record<string, unknown>; _meta: Record<string, string> } };
      expect(sent.request.arguments).toEqual({
        shipping_address: { name: 'Ada Lovelace', line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'US' },
        shipping_method: 'express',
        payment_method_id: 'pm_card_visa',
        accept_terms: true,
      });
      expect(sent.request._meta).toMatchObject(meta);
      const review = await widget(page, 'checkout');
      // Express 1299: 8999 + 1299 + 787 = 11085.
      await expect.poll(async () => money(await review.getByTestId('total').textContent())).toBe('$110.85');
      await screenshot(page, 'checkout');
    }, 60_000);

    it('place_order from the console shows the order number', async () => {
      // place_order from the console: the order widget shows the order number.
      const placed = await callFromConsole(page, 'place_order');
      expect(await placed.getAttribute('data-status'), await placed.textContent() ?? '').toBe('ok');
      order = await widget(page, 'order');
      const number = await order.getByTestId('order-number').textContent();
      expect(number).toMatch(/^ORD-\d{4}-\d{5,}$/);
      expect(money(await order.getByTestId('order-total').textContent())).toBe('$110.85');
      expect(await page.getByTestId('raw-result').textContent()).toContain(number!);
      await screenshot(page, 'order');
    }, 60_000);

    it('the theme toggle reaches the open widget through openai:set_globals', async () => {
      // The theme toggle reaches the open widget through openai:set_globals.
      await page.getByRole('button', { name: 'Dark theme' }).click();
      await expect.poll(() => order.locator('html').evaluate((el) => el.classList.contains('dark'))).toBe(true);
      await screenshot(page, 'order-dark');
    }, 60_000);

    it('a new conversation is a new, empty cart; what a widget says to the model shows in the log', async () => {
      // A new conversation is a new, empty cart.
      await page.getByRole('button', { name: 'New conversation' }).click();
      expect(await page.getByTestId('session-id').textContent()).not.toBe(session);
      await callFromConsole(page, 'view_cart');
      const emptyCart = await widget(page, 'cart');
      expect(await emptyCart.locator('[data-testid="cart-line"]').count()).toBe(0);
      // What a widget says to the model shows in the console log.
      await emptyCart.getByRole('button', { name: 'Continue shopping' }).click();
      await page.locator('[data-testid="log-entry"][data-kind="follow-up"]').filter({ hasText: 'Help me find something to buy.' }).waitFor();
      await screenshot(page, 'follow-up');
    }, 60_000);

    it('no page error and no blocked evaluation on the way', () => {
      expect(pageErrors).toEqual([]);
    });
  });
});
