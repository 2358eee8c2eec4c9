// The widgets against the running system: every service and the MCP gateway as processes
// (@shop/launcher startStack), a real MCP client on the Node side answering the widgets'
// tool calls, and the widget HTML read from the gateway's ui:// resources.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Frame, Page } from 'playwright-core';
import { dropDatabase } from '@shop/kit';
import { testNatsUrl, testServerUrl } from '@shop/kit/testing';
import { ensureWidgetsBuilt, fitsWidth, hostLog, mount, screenshot, startHarness, widgetsDir, type Harness, type HostMode, type ToolCallResult, type WidgetName } from './support/harness';

const repoRoot = path.resolve(widgetsDir, '..');
const stackBuilt = ['catalog', 'cart', 'orders', 'payments', 'mcp-gateway'].every((s) => existsSync(path.join(repoRoot, 'services', s, 'dist', 'main.js'))) && existsSync(path.join(repoRoot, 'packages/launcher/dist/index.js'));

type Stack = { mcpUrl: string; stop(): Promise<void>; databaseUrlFor(db: string): string };
const serviceDatabases = ['catalog', 'cart', 'orders', 'payments'];

/** One shopper: an MCP connection plus, for ChatGPT, the conversation and user ids the host sends. */
class Shopper {
  private constructor(
    readonly client: Client,
    private readonly meta: Record<string, string> | undefined,
  ) {}
  static async connect(mcpUrl: string, mode: HostMode): Promise<Shopper> {
    const client = new Client({ name: `widget-test-${mode}`, version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
    const id = randomBytes(6).toString('hex');
    // ChatGPT sends the conversation and user with every call; an MCP Apps host relies on the MCP session.
    return new Shopper(client, mode === 'openai' ? { 'openai/session': `conv-${id}`, 'openai/subject': `user-${id}` } : undefined);
  }
  async call(name: string, args: Record<string, unknown>): Promise<ToolCallResult> {
    try {
      return (await this.client.callTool({ name, arguments: args, ...(this.meta ? { _meta: this.meta } : {}) })) as ToolCallResult;
    } catch (e) {
      return { isError: true, content: [{ type: 'text', text: (e as Error).message }] };
    }
  }
  /** What the model does: call a tool and expect a result to render. */
  async model(name: string, args: Record<string, unknown>): Promise<ToolCallResult> {
    const r = await this.call(name, args);
    if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
    return r;
  }
}

const money = (text: string | null) => text?.replace(/\s/g, ' ').trim();

describe.skipIf(!stackBuilt)('widgets on the live stack', () => {
  let stack: Stack;
  let h: Harness;
  let resourceReader: Client;

  beforeAll(async () => {
    ensureWidgetsBuilt(); // the gateway serves widgets/dist, so build before it starts
    const { startStack } = await import('@shop/launcher');
    // The machine's PostgreSQL and NATS, with fresh databases and a fresh subject prefix.
    stack = await startStack({ fresh: true, randomPorts: true, logLevel: 'warn', env: { ...process.env, DATABASE_URL: testServerUrl(), NATS_URL: testNatsUrl() } });
    resourceReader = new Client({ name: 'widget-test-resources', version: '1.0.0' });
    await resourceReader.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl)));
    h = await startHarness({
      widgetHtml: async (name: WidgetName) => {
        const r = await resourceReader.readResource({ uri: `ui://widget/${name}.html` });
        const first = r.contents[0] as { text?: string; mimeType?: string };
        if (!first?.text) throw new Error(`ui://widget/${name}.html has no text`);
        return first.text;
      },
    });
  }, 240_000);

  afterAll(async () => {
    if (h) {
      console.log(`live screenshots (${h.screenshots.length}):\n${h.screenshots.map((s) => `  ${s}`).join('\n')}`);
      await h.close();
    }
    await resourceReader?.close();
    if (stack) {
      await stack.stop();
      for (const db of serviceDatabases) await dropDatabase(stack.databaseUrlFor(db));
    }
  });

  async function open(page: Page, mode: HostMode, widget: WidgetName, result: ToolCallResult, input: Record<string, unknown>, width = 1024): Promise<Frame> {
    const frame = await mount(h, page, { mode, widget, result, input });
    const fit = await fitsWidth(frame);
    expect(fit.scrollWidth).toBeLessThanOrEqual(fit.clientWidth);
    expect(fit.clientWidth).toBe(width);
    return frame;
  }

  describe('openai host: one purchase from search to cancellation', () => {
    const mode: HostMode = 'openai';
    let shopper: Shopper;
    let page: Page;
    let list: Frame;
    let cart: Frame;
    let lines: ReturnType<Frame['locator']>;
    let number: string | null;
    let order: Frame;

    beforeAll(async () => {
      shopper = await Shopper.connect(stack.mcpUrl, mode);
      page = await h.newPage((name, args) => shopper.call(name, args), 1024);
    });
    afterAll(async () => {
      await page?.close();
      await shopper?.client.close();
    });

    it('1. the model searches; the shopper filters to at most $100 in size 10 in the widget', async () => {
      const searchInput = { query: 'running shoes' };
      list = await open(page, mode, 'product-list', await shopper.model('search_products', searchInput), searchInput);
      const chips = list.getByRole('list', { name: 'Active filters' }).getByTestId('filter-chip');
      expect(await chips.allTextContents()).toEqual(['“running shoes”✕', 'In stock only✕']);
      await list.getByRole('button', { name: 'Filters', exact: true }).click();
      await list.getByLabel('Maximum price').fill('100');
      await list.getByRole('button', { name: /^Size 10 \(/ }).click();
      await list.getByRole('button', { name: 'Apply filters' }).click();
      const cardPrices = () => list.locator('[data-testid="product-card"] [data-testid="price"]').allTextContents();
      const lowest = (p: string) => Number(p.split('–')[0].replace(/[^0-9.]/g, ''));
      await expect.poll(async () => (await cardPrices()).every((p) => lowest(p) <= 100), { timeout: 10_000 }).toBe(true);
      expect((await cardPrices()).length).toBeGreaterThan(0);
      const searchCall = (await hostLog(page)).filter((e) => e.kind === 'callTool').map((e) => e.value as { name: string; args: Record<string, unknown> }).at(-1);
      expect(searchCall).toMatchObject({ name: 'search_products', args: { query: 'running shoes', max_price: 100, sizes: ['10'] } });
      expect(await chips.allTextContents()).toEqual(['“running shoes”✕', 'Up to $100.00✕', 'Size 10✕', 'In stock only✕']);
      await screenshot(h, page, `live-${mode}-search-filtered`);
      await list.getByRole('button', { name: 'Filters', exact: true }).click(); // close the panel
    }, 60_000);

    it('2. Pegasus added from the grid asks for a size and colour; a mug the model adds shows as just added', async () => {
      // Add Pegasus from the grid: it asks for a size and colour first.
      await list.getByRole('button', { name: 'Add Pegasus 41 Road Running Shoe to cart' }).click();
      await list.getByLabel('Size', { exact: true }).selectOption('10');
      await list.getByLabel('Colour', { exact: true }).selectOption('Black');
      await list.getByRole('button', { name: 'Add', exact: true }).click();
      await list.getByRole('status').filter({ hasText: /Pegasus 41 Road Running Shoe/ }).waitFor();
      await screenshot(h, page, `live-${mode}-added-from-grid`);

      // The model adds a mug too: its cart shows the mug as just added.
      const mugSearch = await shopper.model('search_products', { query: 'Classic Ceramic Coffee Mug' });
      const mug = (mugSearch.structuredContent as { items: Array<{ id: string; name: string }> }).items.find((i) => i.name === 'Classic Ceramic Coffee Mug');
      expect(mug).toBeDefined();
      const addInput = { product_id: mug!.id, quantity: 1 };
      cart = await open(page, mode, 'cart', await shopper.model('add_to_cart', addInput), addInput);
      lines = cart.locator('[data-testid="cart-line"]');
      await expect.poll(() => lines.count()).toBe(2);
      expect(await lines.filter({ hasText: 'Just added' }).textContent()).toContain('Classic Ceramic Coffee Mug');
      expect(await lines.filter({ hasText: 'Pegasus' }).textContent()).toContain('Size 10');
      // 8999 + 999 = 9998; free shipping; tax round_half_up(9998 × 8.75 %) = 875; total 10873.
      expect(money(await cart.getByTestId('total').textContent())).toBe('$108.73');
    }, 60_000);

    it('3. removing the mug reprices the cart', async () => {
      await lines.filter({ hasText: 'Classic Ceramic Coffee Mug' }).getByRole('button', { name: 'Remove Classic Ceramic Coffee Mug' }).click();
      await expect.poll(() => lines.count()).toBe(1);
      await expect.poll(async () => money(await cart.getByTestId('total').textContent())).toBe('$97.86'); // 8999 + 787 tax
    }, 60_000);

    it('4. quantity 2 reprices the cart', async () => {
      // Quantity 2: subtotal 17998, tax round_half_up(1574.825) = 1575, total 19573.
      await cart.getByRole('button', { name: 'Increase quantity of Pegasus 41 Road Running Shoe' }).click();
      await expect.poll(async () => money(await cart.getByTestId('total').textContent())).toBe('$195.73');
      expect(money(await cart.getByTestId('subtotal').textContent())).toBe('$179.98');
    }, 60_000);

    it('5. WELCOME10 takes 10 % off before tax', async () => {
      // WELCOME10: discount 1800; taxable 16198; tax round_half_up(1417.325) = 1417; total 17615.
      await cart.getByLabel('Coupon code').fill('welcome10');
      await cart.getByRole('button', { name: 'Apply' }).click();
      await expect.poll(async () => money(await cart.getByTestId('total').textContent())).toBe('$176.15');
      expect(money(await cart.getByTestId('discount').textContent())).toBe('−$18.00');
      await screenshot(h, page, `live-${mode}-cart-with-coupon`);
    }, 60_000);

    it("6. checkout in the same frame: a postal-code error caught in the widget, then the server's state rule", async () => {
      // Checkout in the same frame: client-side postal-code error, then a server-side state error.
      await cart.getByRole('button', { name: 'Proceed to checkout' }).click();
      await cart.getByRole('form', { name: 'Shipping' }).waitFor();
      await cart.getByLabel('Full name').fill('Ada Lovelace');
      await cart.getByLabel('Street address').fill('1 Market St');
      await cart.getByLabel('City').fill('San Francisco');
      await cart.getByLabel('State').fill('CA');
      await cart.getByLabel('ZIP / postal code').fill('9410');
      await cart.getByRole('button', { name: 'Continue to payment' }).click();
      expect(await cart.getByTestId('field-error').allTextContents()).toEqual(['Enter a 5-digit ZIP code, e.g. 94107 or 94107-1234.']);
      await screenshot(h, page, `live-${mode}-checkout-postal-error`);
      await cart.getByLabel('ZIP / postal code').fill('94107');
      await cart.getByLabel('State').fill('ZZ');
      await cart.getByRole('button', { name: 'Continue to payment' }).click();
      // Caught before a round trip, with the same US-state rule the server applies (@shop/contracts/rules).
      await cart.getByTestId('field-error').filter({ hasText: 'Use the 2-letter state code, e.g. CA.' }).waitFor();
      expect(await cart.getByLabel('State').getAttribute('aria-invalid')).toBe('true');
      await screenshot(h, page, `live-${mode}-checkout-server-error`);
      await cart.getByLabel('State').fill('CA');
      await cart.getByLabel(/Express/).check();
      await cart.getByRole('button', { name: 'Continue to payment' }).click();
    }, 60_000);

    it('7. a declined card shows its refusal inline and keeps the checkout', async () => {
      // Payment: first the saved card that is declined; the refusal shows inline and the cart stays.
      await cart.getByLabel(/visa.*0002/i).check();
      await cart.getByRole('button', { name: 'Continue to review' }).click();
      // Express shipping 1299: total 16198 + 1299 + 1417 = 18914.
      await expect.poll(async () => money(await cart.getByTestId('total').textContent())).toBe('$189.14');
      await cart.getByLabel(/I accept the terms/).check();
      await expect.poll(() => cart.getByLabel(/I accept the terms/).isChecked()).toBe(true);
      await cart.getByRole('button', { name: /^Place order/ }).click();
      await cart.getByTestId('error').filter({ hasText: /declined/i }).waitFor({ timeout: 20_000 });
      expect(await cart.locator('main').getAttribute('data-kind')).toBe('checkout');
      await screenshot(h, page, `live-${mode}-checkout-declined`);
    }, 60_000);

    it('8. the Visa test card places the order: nothing saved for a guest, the policies served as pages', async () => {
      // Then the Visa test card (pm_card_visa), and place the order. This shopper is a guest (no
      // account token; `openai/subject` identifies nobody), so saving the method is not offered:
      // methods are saved for accounts only (the gateway's saved-methods test signs in for that).
      await cart.getByRole('button', { name: 'Change' }).click();
      await cart.getByLabel(/visa.*4242/i).check();
      expect(await cart.getByLabel('Save this payment method for next time').count()).toBe(0);
      await cart.getByRole('button', { name: 'Continue to review' }).click();
      await expect.poll(async () => money(await cart.getByTestId('total').textContent())).toBe('$189.14');
      const payCall = (await hostLog(page)).filter((e) => e.kind === 'callTool').map((e) => e.value as { name: string; args: Record<string, unknown> }).at(-1);
      expect(payCall).toMatchObject({ name: 'update_checkout', args: { payment_method_id: 'pm_card_visa' } });
      expect(payCall?.args.save_payment_method).not.toBe(true);
      // The policies the shopper accepts, as pages the gateway serves.
      const policyLinks = cart.getByRole('navigation', { name: 'Store policies' }).getByRole('link');
      expect(await policyLinks.allTextContents()).toEqual(['Terms of sale', 'Privacy policy', 'Returns policy', 'Shipping policy']);
      for (const href of await policyLinks.evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''))) {
        const res = await fetch(href);
        expect(res.status, href).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/text\/html/);
      }
      if (!(await cart.getByLabel(/I accept the terms/).isChecked())) await cart.getByLabel(/I accept the terms/).check();
      await expect.poll(() => cart.getByLabel(/I accept the terms/).isChecked()).toBe(true);
      await screenshot(h, page, `live-${mode}-checkout-review`);
      await cart.getByRole('button', { name: /^Place order/ }).click();
      await cart.locator('main[data-kind="order"]').waitFor({ timeout: 20_000 });
      number = await cart.getByTestId('order-number').textContent();
      expect(number).toMatch(/^ORD-\d{4}-\d{5,}$/);
      expect(money(await cart.getByTestId('order-total').textContent())).toBe('$189.14');
      expect(await cart.getByTestId('order-status').textContent()).toBe('Confirmed');
      expect(await cart.getByRole('navigation', { name: 'Returns and shipping policies' }).getByRole('link').allTextContents()).toEqual(['Returns policy', 'Shipping policy']);
      await screenshot(h, page, `live-${mode}-order-confirmation`);
    }, 60_000);

    it('9. the order widget shows the status and the order history', async () => {
      // The model asks for the status; the order widget shows it and the history.
      order = await open(page, mode, 'order', await shopper.model('get_order_status', { order_id: number }), { order_id: number });
      expect(await order.getByTestId('order-number').textContent()).toBe(number);
      expect(await order.getByTestId('timeline').textContent()).toContain('Confirmed');
      await order.getByRole('button', { name: 'All orders' }).click();
      await order.locator('[data-testid="order-row"]').filter({ hasText: number! }).waitFor();
      await screenshot(h, page, `live-${mode}-order-history`);
    }, 60_000);

    it('10. from the history: buy it again (no card marked saved for a guest), then cancel it', async () => {
      // From the history: open the order, buy it again (a cart in the same frame), then cancel it.
      await order.getByRole('button', { name: `Open order ${number}` }).click();
      await order.getByTestId('order-number').filter({ hasText: number! }).waitFor();
      await order.getByRole('button', { name: 'Buy again' }).click();
      await order.locator('main[data-kind="cart"]').waitFor();
      expect(await order.locator('[data-testid="cart-line"]').filter({ hasText: 'Pegasus 41 Road Running Shoe' }).getByTestId('quantity').textContent()).toBe('2');
      await screenshot(h, page, `live-${mode}-reorder-cart`);
      // Checking out again: the same test cards, none marked "Saved" (nothing is saved for a guest).
      await order.getByRole('button', { name: 'Proceed to checkout' }).click();
      await order.getByRole('form', { name: 'Shipping' }).waitFor();
      for (const [label, value] of [['Full name', 'Ada Lovelace'], ['Street address', '1 Market St'], ['City', 'San Francisco'], ['State', 'CA'], ['ZIP / postal code', '94107']]) {
        await order.getByLabel(label, { exact: true }).fill(value);
      }
      await order.getByRole('button', { name: 'Continue to payment' }).click();
      const visa = order.locator('label').filter({ hasText: /visa.*4242/i }).first();
      await visa.waitFor({ timeout: 10_000 });
      expect(await visa.textContent()).not.toContain('Saved');
      await screenshot(h, page, `live-${mode}-checkout-payment-again`);
      const again = await open(page, mode, 'order', await shopper.model('get_order_status', { order_id: number }), { order_id: number });
      await again.getByRole('button', { name: 'Cancel order' }).click();
      await again.getByRole('button', { name: 'Yes, cancel' }).click();
      await expect.poll(() => again.getByTestId('order-status').textContent(), { timeout: 20_000 }).toBe('Cancelled');
      expect(await again.getByTestId('timeline').textContent()).toContain('Cancelled');
      await screenshot(h, page, `live-${mode}-order-cancelled`);
    }, 60_000);
  });

  it('MCP Apps host at 375 px, dark: add from the grid with a size, change quantity, proceed to checkout', async () => {
    const mode: HostMode = 'apps';
    const shopper = await Shopper.connect(stack.mcpUrl, mode);
    const page = await h.newPage((name, args) => shopper.call(name, args), 375);
    const input = { query: 'pegasus', max_price: 100 };
    const frame = await mount(h, page, { mode, widget: 'product-list', result: await shopper.model('search_products', input), input, theme: 'dark' });
    expect((await fitsWidth(frame)).scrollWidth).toBeLessThanOrEqual(375);
    expect(await frame.getByRole('list', { name: 'Active filters' }).getByTestId('filter-chip').allTextContents()).toEqual(['“pegasus”✕', 'Up to $100.00✕', 'In stock only✕']);
    await frame.getByRole('button', { name: 'Add Pegasus 41 Road Running Shoe to cart' }).click();
    await frame.getByLabel('Size', { exact: true }).selectOption('10');
    await frame.getByLabel('Colour', { exact: true }).selectOption('Blue');
    await frame.getByRole('button', { name: 'Add', exact: true }).click();
    await frame.getByRole('status').filter({ hasText: /Pegasus 41 Road Running Shoe/ }).waitFor();
    await screenshot(h, page, `live-${mode}-added-from-grid-dark-375`);

    const cart = await mount(h, page, { mode, widget: 'cart', result: await shopper.model('view_cart', {}), theme: 'dark' });
    expect((await fitsWidth(cart)).scrollWidth).toBeLessThanOrEqual(375);
    expect(money(await cart.getByTestId('total').textContent())).toBe('$97.86');
    await cart.getByRole('button', { name: 'Increase quantity of Pegasus 41 Road Running Shoe' }).click();
    await expect.poll(async () => money(await cart.getByTestId('total').textContent())).toBe('$195.73');
    await screenshot(h, page, `live-${mode}-cart-dark-375`);
    await cart.getByRole('button', { name: 'Proceed to checkout' }).click();
    await cart.getByRole('form', { name: 'Shipping' }).waitFor();
    expect((await fitsWidth(cart)).scrollWidth).toBeLessThanOrEqual(375);
    await screenshot(h, page, `live-${mode}-checkout-dark-375`);

    // The product-detail widget: pick colour and size from what is available, add two.
    const pegasus = (await shopper.model('search_products', { query: 'Pegasus 41' })).structuredContent as { items: Array<{ id: string; name: string }> };
    const id = pegasus.items.find((i) => i.name === 'Pegasus 41 Road Running Shoe')!.id;
    const detailResult = await shopper.model('get_product_details', { product_id: id });
    const detail = await mount(h, page, { mode, widget: 'product-detail', result: detailResult, input: { product_id: id }, theme: 'dark' });
    expect((await fitsWidth(detail)).scrollWidth).toBeLessThanOrEqual(375);
    await detail.getByRole('button', { name: /^Colour Black, \d+ available$/ }).click();
    await detail.getByRole('button', { name: /^Size 11, \d+ available$/ }).click();
    await detail.getByRole('button', { name: 'Increase quantity' }).click();
    await detail.getByRole('button', { name: 'Add to cart' }).click();
    await detail.getByRole('status').filter({ hasText: /Pegasus 41 Road Running Shoe/ }).waitFor();
    await screenshot(h, page, `live-${mode}-product-detail-dark-375`);
    const lines = (await shopper.model('view_cart', {})).structuredContent as { cart: { lines: Array<{ size: string | null; color: string | null; quantity: number }> } };
    expect(lines.cart.lines).toEqual(expect.arrayContaining([expect.objectContaining({ size: '11', color: 'Black', quantity: 2 })]));
    await page.close();
    await shopper.client.close();
  }, 120_000);
});
