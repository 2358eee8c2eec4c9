// The widgets in the reference MCP Apps host (test/host: ext-apps 2.x AppBridge, double-iframe
// sandbox on its own origin, CSP as a header): what MCP Apps 2026-01-26 asks of a view beyond
// rendering — model context after widget-side changes, the host's style variables, cancelled tool
// calls, teardown, and the sandbox's isolation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asToolResult, fixtures } from '../support/fixtures';
import { hostLog, mount, startHarness, type Harness, type ToolCallResult } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

type Logged = { content?: Array<{ type: string; text?: string }>; structuredContent?: Record<string, unknown> };
const contexts = async (page: Parameters<typeof hostLog>[0]) => (await hostLog(page)).filter((e) => e.kind === 'updateModelContext').map((e) => e.value as Logged);

/** A result as the gateway shapes it: the summary the model reads, and the structured cart. */
function withText(structuredContent: object, text: string): ToolCallResult {
  return { ...asToolResult(structuredContent), content: [{ type: 'text', text }] };
}

describe('widgets in the reference MCP Apps host', () => {
  it('tells the model the real cart after a quantity change and a coupon, in the tool result’s own words', async () => {
    const twoPairs = { ...fixtures.cartResult, cart: { ...fixtures.cartResult.cart, lines: fixtures.cartResult.cart.lines.map((l, i) => (i === 0 ? { ...l, quantity: 2, line_subtotal: l.unit_price * 2 } : l)) } };
    const page = await h.newPage(async (name) => {
      if (name === 'update_cart_item') return withText(twoPairs, 'Cart: Pegasus 41 × 2. Total $195.73.');
      if (name === 'apply_coupon') return withText(twoPairs, 'Coupon WELCOME10 applied. Total $176.15.');
      return { isError: true, content: [{ type: 'text', text: `unexpected ${name}` }] };
    });
    const frame = await mount(h, page, { mode: 'apps', widget: 'cart', result: asToolResult(fixtures.cartResult) });
    expect(await contexts(page)).toEqual([]); // rendering alone changes nothing the model does not know
    await frame.locator('[data-testid="cart-line"]').first().getByRole('button', { name: /^Increase quantity of Pegasus/ }).click();
    await expect.poll(async () => (await contexts(page)).length).toBe(1);
    expect((await contexts(page))[0]).toEqual({ content: [{ type: 'text', text: 'Cart: Pegasus 41 × 2. Total $195.73.' }], structuredContent: twoPairs });
    await frame.getByLabel('Coupon code').fill('WELCOME10');
    await frame.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => (await contexts(page)).at(-1)?.content?.[0]?.text).toBe('Coupon WELCOME10 applied. Total $176.15.');
    await page.close();
  });

  it('tells the model the checkout after the address and the shipping method', async () => {
    const withAddress = { ...fixtures.checkoutResult };
    const page = await h.newPage(async (name, args) => {
      if (name === 'update_checkout') return withText(withAddress, `Shipping to ${(args.shipping_address as { city?: string } | undefined)?.city ?? '?'} by ${String(args.shipping_method ?? 'standard')}.`);
      return { isError: true, content: [{ type: 'text', text: `unexpected ${name}` }] };
    });
    const frame = await mount(h, page, { mode: 'apps', widget: 'checkout', result: asToolResult(fixtures.checkoutResult) });
    await frame.getByLabel('Full name').fill('Ada Lovelace');
    await frame.getByLabel('Street address').fill('1 Market St');
    await frame.getByLabel('City').fill('San Francisco');
    await frame.getByLabel('State').fill('CA');
    await frame.getByLabel('ZIP / postal code').fill('94107');
    await frame.getByRole('button', { name: 'Continue to payment' }).click();
    await expect.poll(async () => (await contexts(page)).at(-1)?.content?.[0]?.text ?? '').toMatch(/^Shipping to San Francisco by /);
    await page.close();
  });

  it('themes itself with the host’s style variables', async () => {
    const page = await h.newPage(async () => ({ isError: true, content: [{ type: 'text', text: 'unexpected' }] }));
    const styles = { '--color-background-primary': 'rgb(10, 20, 30)', '--color-text-primary': 'rgb(201, 202, 203)', '--font-sans': 'Georgia, serif' };
    const frame = await mount(h, page, { mode: 'apps', widget: 'order', result: asToolResult(fixtures.orderResult), theme: 'dark', styles });
    const look = await frame.evaluate(() => {
      const s = getComputedStyle(document.body);
      return { background: s.backgroundColor, color: s.color, font: s.fontFamily };
    });
    expect(look).toEqual({ background: 'rgb(10, 20, 30)', color: 'rgb(201, 202, 203)', font: 'Georgia, serif' });
    // Without variables the widget keeps its own palette for the theme.
    const plain = await mount(h, page, { mode: 'apps', widget: 'order', result: asToolResult(fixtures.orderResult), theme: 'dark' });
    expect(await plain.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(33, 33, 33)');
    await page.close();
  });

  it('says so when the host cancels the tool call, instead of loading forever', async () => {
    const page = await h.newPage(async () => ({ isError: true, content: [{ type: 'text', text: 'unexpected' }] }));
    const frame = await mount(h, page, { mode: 'apps', widget: 'cart', result: {}, cancel: 'The shopper stopped the request.', waitForResult: false });
    await frame.getByText('The shopper stopped the request.').waitFor();
    expect(await frame.getByTestId('loading').count()).toBe(0);
    await page.close();
  });

  it('on teardown, lets a change still on its way reach the server before the frame goes', async () => {
    const events: string[] = [];
    const page = await h.newPage(async (name) => {
      events.push(`${name} started`);
      await new Promise((r) => setTimeout(r, 700));
      events.push(`${name} answered`);
      return asToolResult(fixtures.cartResult);
    });
    const frame = await mount(h, page, { mode: 'apps', widget: 'cart', result: asToolResult(fixtures.cartResult) });
    await frame.locator('[data-testid="cart-line"]').first().getByRole('button', { name: /^Increase quantity of Pegasus/ }).click();
    await expect.poll(() => events).toEqual(['update_cart_item started']);
    await page.evaluate(async () => {
      await (window as unknown as { __bridge: { teardownResource(p: object): Promise<unknown> } }).__bridge.teardownResource({});
    });
    events.push('teardown answered');
    expect(events).toEqual(['update_cart_item started', 'update_cart_item answered', 'teardown answered']);
    await page.close();
  });

  it('runs in a sandbox on another origin than the host, under the resource’s CSP', async () => {
    const page = await h.newPage(async () => ({ isError: true, content: [{ type: 'text', text: 'unexpected' }] }));
    const frame = await mount(h, page, { mode: 'apps', widget: 'order', result: asToolResult(fixtures.orderResult) });
    expect(await frame.evaluate(() => window.origin)).toBe(new URL(h.sandboxUrl).origin);
    expect(new URL(h.sandboxUrl).origin).not.toBe(new URL(h.baseUrl).origin);
    // The host page is out of reach: no DOM access, and connect-src allows no other origin.
    const reach = await frame.evaluate(async (base) => {
      let top = 'readable';
      try {
        void window.top!.document.title;
      } catch {
        top = 'blocked';
      }
      const net = await fetch(`${base}/host.html`).then(() => 'fetched', () => 'blocked');
      return { top, net };
    }, h.baseUrl);
    expect(reach).toEqual({ top: 'blocked', net: 'blocked' });
    // An origin listed in the resource's connectDomains is allowed.
    const allowed = await mount(h, page, { mode: 'apps', widget: 'order', result: asToolResult(fixtures.orderResult), csp: { connectDomains: [h.baseUrl] } });
    expect(await allowed.evaluate((base) => fetch(`${base}/host.html`, { mode: 'no-cors' }).then(() => 'fetched', () => 'blocked'), h.baseUrl)).toBe('fetched');
    await page.close();
  });
});
