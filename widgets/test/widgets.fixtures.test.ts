// Widgets rendered in headless Chromium from recorded tool results, under both hosts:
// ChatGPT's window.openai and the MCP Apps bridge (ext-apps AppBridge).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asToolResult, checkFixtures, checkoutFrom, fixtures, linkNotice, markupInstructions } from './support/fixtures';
import { AppError, invalidInput, toolArgs } from '@shop/contracts';
import { toolErrorResult } from '../../services/mcp-gateway/src/domain/errors';
import { fitsWidth, frameSettled, hostLog, mount, screenshot, startHarness, type Harness, type HostMode, type ToolCallResult, type ToolHandler, type WidgetName } from './support/harness';

let h: Harness;
beforeAll(async () => {
  checkFixtures();
  h = await startHarness();
});
afterAll(async () => {
  if (!h) return;
  console.log(`screenshots (${h.screenshots.length}):\n${h.screenshots.map((s) => `  ${s}`).join('\n')}`);
  await h.close();
});

/** What the gateway answers to update_checkout arguments its schema refuses (its parsing, its error mapping). */
function gatewayRefusal(args: Record<string, unknown>): ToolCallResult {
  const parsed = toolArgs.update_checkout.safeParse(args);
  if (parsed.success) return { isError: true, content: [{ type: 'text', text: 'expected a refusal' }] };
  return toolErrorResult(invalidInput(parsed.error)).result as ToolCallResult;
}

const noCalls: ToolHandler = async (name) => ({ isError: true, content: [{ type: 'text', text: `unexpected call to ${name}` }] });

const states: Array<{ name: string; widget: WidgetName; result: object }> = [
  { name: 'product-list', widget: 'product-list', result: fixtures.productList },
  { name: 'product-detail', widget: 'product-detail', result: fixtures.productDetail },
  { name: 'cart', widget: 'cart', result: fixtures.cartResult },
  { name: 'cart-empty', widget: 'cart', result: fixtures.emptyCartResult },
  { name: 'checkout-shipping', widget: 'checkout', result: fixtures.checkoutResult },
  { name: 'checkout-review', widget: 'checkout', result: fixtures.reviewResult },
  { name: 'checkout-link', widget: 'checkout', result: fixtures.linkResult },
  { name: 'order-confirmation', widget: 'order', result: fixtures.orderResult },
  { name: 'order-history', widget: 'order', result: fixtures.orderListResult },
];

describe.each<HostMode>(['openai', 'apps'])('widgets from recorded results, %s host', (mode) => {
  for (const s of states) {
    it(`${s.name}: renders light at 1024 px and dark at 375 px without horizontal overflow`, async () => {
      const wide = await h.newPage(noCalls, 1024);
      const frame = await mount(h, wide, { mode, widget: s.widget, result: asToolResult(s.result) });
      expect(await frame.locator('main').getAttribute('data-kind')).toBe((s.result as { kind: string }).kind);
      expect(await frame.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(false);
      await screenshot(h, wide, `${mode}-${s.name}-light-1024`);
      await wide.close();

      const narrow = await h.newPage(noCalls, 375);
      const dark = await mount(h, narrow, { mode, widget: s.widget, result: asToolResult(s.result), theme: 'dark' });
      expect(await dark.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true);
      const bg = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(bg).toBe('rgb(33, 33, 33)');
      const { scrollWidth, clientWidth } = await fitsWidth(dark);
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
      expect(clientWidth).toBe(375);
      // Every control has a name a screen reader can announce.
      const unlabelled = await dark.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('button, input, select, textarea')]
          .filter((el) => {
            const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el as HTMLInputElement).labels?.length;
            return !named && !(el.tagName === 'BUTTON' && el.textContent?.trim());
          })
          .map((el) => el.outerHTML.slice(0, 120)),
      );
      expect(unlabelled).toEqual([]);
      await screenshot(h, narrow, `${mode}-${s.name}-dark-375`);
      await narrow.close();
    });
  }

  it('product grid: one column at 375 px, at least three at 1024 px', async () => {
    const columns = async (width: number) => {
      const page = await h.newPage(noCalls, width);
      const frame = await mount(h, page, { mode, widget: 'product-list', result: asToolResult(fixtures.productList) });
      const xs = await frame.locator('[data-testid="product-card"]').evaluateAll((cards) => cards.map((c) => Math.round(c.getBoundingClientRect().left)));
      await page.close();
      return new Set(xs).size;
    };
    expect(await columns(375)).toBe(1);
    expect(await columns(1024)).toBeGreaterThanOrEqual(3);
  });

  it('the host frame is sized from the widget height', async () => {
    const page = await h.newPage(noCalls, 1024);
    await mount(h, page, { mode, widget: 'cart', result: asToolResult(fixtures.cartResult) });
    await page.waitForFunction(() => (document.querySelector('iframe') as HTMLIFrameElement).getBoundingClientRect().height > 300);
    const log = await hostLog(page);
    expect(log.some((e) => e.kind === (mode === 'openai' ? 'notifyIntrinsicHeight' : 'sizeChanged'))).toBe(true);
    await page.close();
  });

  it('follows a theme change from the host while open', async () => {
    const page = await h.newPage(noCalls, 1024);
    const frame = await mount(h, page, { mode, widget: 'order', result: asToolResult(fixtures.orderResult) });
    if (mode === 'openai') await page.evaluate(() => (window as unknown as { __setGlobals(p: object): void }).__setGlobals({ theme: 'dark' }));
    else await page.evaluate(() => (window as unknown as { __bridge: { sendHostContextChange(p: object): Promise<void> } }).__bridge.sendHostContextChange({ theme: 'dark' }));
    await frame.waitForFunction(() => document.documentElement.classList.contains('dark'));
    await page.close();
  });

  it('formats money from integer cents for the host locale', async () => {
    const page = await h.newPage(noCalls, 1024);
    const frame = await mount(h, page, { mode, widget: 'cart', result: asToolResult(fixtures.cartResult), locale: 'de-DE' });
    const total = await frame.locator('[data-testid="total"]').textContent();
    expect(total?.replace(/\s/g, ' ')).toBe(new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'USD' }).format(130.46).replace(/\s/g, ' '));
    await page.close();
  });

  it('grid "Add to cart" asks for size and colour, then sends them', async () => {
    const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
    const page = await h.newPage(async (name, args) => {
      calls.push({ name, args });
      return asToolResult(fixtures.cartResult);
    });
    const frame = await mount(h, page, { mode, widget: 'product-list', result: asToolResult(fixtures.productList) });
    await frame.getByRole('button', { name: 'Add Pegasus 41 Road Running Shoe to cart' }).click();
    const add = frame.getByRole('button', { name: 'Add', exact: true });
    await expect(add.isDisabled()).resolves.toBe(true);
    await frame.getByLabel('Size').selectOption('10');
    await frame.getByLabel('Colour').selectOption('Blue');
    await add.click();
    await frame.getByText('Added Pegasus 41 Road Running Shoe (size 10, Black).').waitFor();
    expect(calls).toEqual([{ name: 'add_to_cart', args: { product_id: fixtures.productList.items[0].id, quantity: 1, size: '10', color: 'Blue' } }]);
    // A product without variants goes straight in (once the frame has followed the grid's new height).
    await frameSettled(page, frame);
    await frame.getByRole('button', { name: 'Add Classic Ceramic Coffee Mug to cart' }).click();
    await expect.poll(() => calls.length).toBe(2);
    expect(calls[1].args).toEqual({ product_id: fixtures.productList.items[4].id, quantity: 1 });
    await page.close();
  });

  it('a failed quantity change rolls back and shows the server message inline', async () => {
    let release!: (r: ToolCallResult) => void;
    const page = await h.newPage(
      (name) =>
        name === 'update_cart_item'
          ? new Promise<ToolCallResult>((resolve) => (release = resolve))
          : Promise.resolve({ isError: true, content: [{ type: 'text', text: 'unexpected' }] }),
    );
    const frame = await mount(h, page, { mode, widget: 'cart', result: asToolResult(fixtures.cartResult) });
    const firstLine = frame.locator('[data-testid="cart-line"]').first();
    await firstLine.getByRole('button', { name: /^Increase quantity of Pegasus/ }).click();
    // Optimistic: the line shows 2 and its subtotal doubles before the server answers.
    await expect.poll(() => firstLine.getByTestId('quantity').textContent()).toBe('2');
    expect(await firstLine.getByTestId('line-subtotal').textContent()).toBe('$179.98');
    await expect.poll(() => typeof release).toBe('function');
    release({ isError: true, content: [{ type: 'text', text: 'Only 1 left in size 10.' }] });
    await frame.getByRole('alert').filter({ hasText: 'Only 1 left in size 10.' }).waitFor();
    expect(await firstLine.getByTestId('quantity').textContent()).toBe('1');
    expect(await firstLine.getByTestId('line-subtotal').textContent()).toBe('$89.99');
    await screenshot(h, page, `${mode}-cart-error-rollback`);
    await page.close();
  });

  it('checkout validates required fields and the US postal code before calling the server', async () => {
    const calls: string[] = [];
    const page = await h.newPage(async (name) => {
      calls.push(name);
      return { isError: true, content: [{ type: 'text', text: 'unexpected' }] };
    }, 375);
    const frame = await mount(h, page, { mode, widget: 'checkout', result: asToolResult(fixtures.checkoutResult) });
    await frame.getByRole('button', { name: 'Continue to payment' }).click();
    expect(await frame.getByTestId('field-error').allTextContents()).toEqual(
      expect.arrayContaining(['Enter the recipient’s name.', 'Enter the street address.', 'Enter the city.', 'Enter the postal code.', 'Enter the state.']),
    );
    await frame.getByLabel('Full name').fill('Ada Lovelace');
    await frame.getByLabel('Street address').fill('1 Market St');
    await frame.getByLabel('City').fill('San Francisco');
    await frame.getByLabel('State').fill('CA');
    await frame.getByLabel('ZIP / postal code').fill('ABC12');
    await frame.getByRole('button', { name: 'Continue to payment' }).click();
    expect(await frame.getByTestId('field-error').allTextContents()).toEqual(['Enter a 5-digit ZIP code, e.g. 94107 or 94107-1234.']);
    expect(await frame.getByLabel('ZIP / postal code').getAttribute('aria-invalid')).toBe('true');
    expect(calls).toEqual([]);
    await screenshot(h, page, `${mode}-checkout-postal-error-375`);
    await page.close();
  });

  it('a server refusal lands on the fields its structured issues name (_meta shop/error), whatever its text says', async () => {
    const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
    // The gateway's own answer to the arguments the widget sent: its argument schema, its error mapping.
    const page = await h.newPage(async (name, args) => {
      calls.push({ name, args });
      const refused = gatewayRefusal(args);
      // Text that names another field: only the issues may place the error.
      return { ...refused, content: [{ type: 'text', text: 'Invalid shipping_address.city: please check the address.' }] };
    }, 375);
    const frame = await mount(h, page, { mode, widget: 'checkout', result: asToolResult(fixtures.checkoutResult) });
    // A Canadian address the widget cannot check (it knows US postal codes only): the server refuses it.
    await frame.getByLabel('Full name').fill('Ada Lovelace');
    await frame.getByLabel('Street address').fill('1 Wellington St');
    await frame.getByLabel('City').fill('Ottawa');
    await frame.getByLabel('ZIP / postal code').fill('12345');
    await frame.getByLabel('Country').fill('CA');
    await frame.getByRole('button', { name: 'Continue to payment' }).click();
    await expect.poll(() => calls.length).toBe(1);
    expect(calls[0]).toMatchObject({ name: 'update_checkout', args: { shipping_address: expect.objectContaining({ postal_code: '12345', country: 'CA' }) } });
    await expect.poll(() => frame.getByTestId('field-error').allTextContents()).toEqual(['Postal code must be a valid CA postal code (e.g. K1A 0B1)']);
    expect(await frame.getByLabel('ZIP / postal code').getAttribute('aria-invalid')).toBe('true');
    expect(await frame.getByLabel('City').getAttribute('aria-invalid')).not.toBe('true');
    // On its field, so not repeated as the form's error.
    expect(await frame.getByTestId('error').count()).toBe(0);
    await page.close();
  });

  it('the empty cart offers "Continue shopping" as a follow-up message', async () => {
    const page = await h.newPage(noCalls);
    const frame = await mount(h, page, { mode, widget: 'cart', result: asToolResult(fixtures.emptyCartResult) });
    await frame.getByRole('button', { name: 'Continue shopping' }).click();
    await expect.poll(async () => (await hostLog(page)).filter((e) => e.kind === 'sendFollowUpMessage').map((e) => e.value)).toEqual(['Help me find something to buy.']);
    await page.close();
  });

  it('quick view opens the product from get_product_details in a dialog that Escape closes', async () => {
    const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
    const page = await h.newPage(async (name, args) => {
      calls.push({ name, args });
      return asToolResult(fixtures.productDetail);
    });
    const frame = await mount(h, page, { mode, widget: 'product-list', result: asToolResult(fixtures.productList) });
    await frame.getByRole('button', { name: 'Quick view Pegasus 41 Road Running Shoe' }).first().click();
    const dialog = frame.getByRole('dialog', { name: 'Quick view: Pegasus 41 Road Running Shoe' });
    await dialog.waitFor();
    expect(calls).toEqual([{ name: 'get_product_details', args: { product_id: fixtures.productList.items[0].id } }]);
    // Availability per size for the chosen colour: Blue has no size 12 left.
    await dialog.getByRole('button', { name: /^Colour Blue/ }).click();
    expect(await dialog.getByRole('button', { name: 'Size 12, out of stock' }).isDisabled()).toBe(true);
    await screenshot(h, page, `${mode}-product-quick-view`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.close();
  });

  it('controls work from the keyboard', async () => {
    const calls: string[] = [];
    const page = await h.newPage(async (name) => {
      calls.push(name);
      return asToolResult(fixtures.cartResult);
    });
    const frame = await mount(h, page, { mode, widget: 'cart', result: asToolResult(fixtures.cartResult) });
    await frame.getByRole('button', { name: /^Increase quantity of Pegasus/ }).focus();
    await page.keyboard.press('Enter');
    // While the quantity change runs the form cannot be submitted (Apply is disabled, so Enter does
    // nothing): wait for it as a person would, or the coupon's Enter races the first call's answer.
    await expect.poll(() => calls).toEqual(['update_cart_item']);
    await expect.poll(() => frame.getByRole('button', { name: 'Apply', exact: true }).isEnabled()).toBe(true);
    await frame.getByLabel('Coupon code').focus();
    await page.keyboard.type('WELCOME10');
    await page.keyboard.press('Enter');
    await expect.poll(() => calls).toEqual(['update_cart_item', 'apply_coupon']);
    await page.close();
  });

  it('the checkout link is offered at the review once the terms are accepted, never at the payment step; it shows the pending order and its link and opens it', async () => {
    const { linkResult, reviewResult } = fixtures;
    const accepted = { ...reviewResult, cart: linkResult.cart };
    const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
    const page = await h.newPage(async (name, args) => {
      calls.push({ name, args });
      if (name === 'create_checkout_link') return { ...asToolResult(linkResult), content: [{ type: 'text', text: linkNotice }] };
      return asToolResult(args.accept_terms ? accepted : reviewResult);
    });
    const frame = await mount(h, page, { mode, widget: 'checkout', result: asToolResult(reviewResult) });
    const linkButton = frame.getByRole('button', { name: 'Pay with a secure checkout link' });
    const placeButton = frame.getByRole('button', { name: /^Place order/ });

    // The payment step offers the saved cards (brand + last 4) and no link: a link needs the terms first.
    await frame.getByRole('button', { name: /2\. Payment/ }).click();
    expect(await frame.getByLabel(/visa •••• 4242/i).isChecked()).toBe(true);
    await frame.getByLabel(/mastercard •••• 4444/i).waitFor();
    expect(await frame.getByRole('button', { name: /checkout link|secure checkout/i }).count()).toBe(0);
    await frame.getByRole('button', { name: /3\. Review/ }).click();

    // At the review both ways to pay wait for the terms.
    expect(await linkButton.isDisabled()).toBe(true);
    expect(await placeButton.isDisabled()).toBe(true);
    await frame.getByText('Accept the terms to place the order or pay with a checkout link.').waitFor();
    await frameSettled(page, frame);
    await frame.getByLabel('I accept the terms of sale and the return policy.').check();
    await expect.poll(() => linkButton.isEnabled()).toBe(true);
    expect(await placeButton.isEnabled()).toBe(true);

    await linkButton.click();
    await expect.poll(async () => (await hostLog(page)).filter((e) => e.kind === 'openExternal').map((e) => e.value)).toEqual([linkResult.checkout_link.url]);
    expect(calls).toEqual([
      { name: 'update_checkout', args: { cart_id: reviewResult.cart_id, accept_terms: true } },
      { name: 'create_checkout_link', args: { cart_id: reviewResult.cart_id } },
    ]);
    const box = frame.getByTestId('checkout-link');
    expect(await box.getByTestId('link-order-number').textContent()).toBe('ORD-2026-00043');
    expect(await box.getByRole('link').textContent()).toBe(linkResult.checkout_link.url);
    expect(await linkButton.count()).toBe(0);
    await screenshot(h, page, `${mode}-checkout-link-created`);
    await box.getByRole('button', { name: 'Open secure checkout' }).click();
    await box.getByRole('link').click();
    await expect.poll(async () => (await hostLog(page)).filter((e) => e.kind === 'openExternal').length).toBe(3);
    expect(new Set((await hostLog(page)).filter((e) => e.kind === 'openExternal').map((e) => e.value))).toEqual(new Set([linkResult.checkout_link.url]));
    await page.close();
  });

  it('without saved payment methods the payment step continues to the review, which offers the checkout link only', async () => {
    const { checkoutResult, reviewResult } = fixtures;
    const noMethods = { ...checkoutResult, payment_methods: [], cart: { ...reviewResult.cart, checkout: { ...reviewResult.cart.checkout, payment_method_id: null } } };
    const page = await h.newPage(noCalls, 375);
    const frame = await mount(h, page, { mode, widget: 'checkout', result: asToolResult(noMethods) });
    await frame.getByText('No saved payment methods. After the review you can pay on a secure checkout page.').waitFor();
    await frame.getByRole('button', { name: 'Continue to review' }).click();
    expect(await frame.getByRole('button', { name: 'Pay with a secure checkout link' }).isDisabled()).toBe(true);
    expect(await frame.getByRole('button', { name: /^Place order/ }).count()).toBe(0);
    await frame.getByText('On the secure checkout page').waitFor();
    expect((await fitsWidth(frame)).scrollWidth).toBeLessThanOrEqual(375);
    await page.close();
  });

  it('shows a loading state until the result arrives, and an error result inline', async () => {
    const page = await h.newPage(noCalls);
    if (mode === 'openai') {
      // ChatGPT renders the widget while the tool runs (toolOutput null) and then sets the globals.
      const frame = await mount(h, page, { mode, widget: 'cart', result: {}, waitForResult: false });
      await frame.getByTestId('loading').waitFor();
      await screenshot(h, page, `${mode}-loading`);
      await page.evaluate((out) => (window as unknown as { __setGlobals(p: object): void }).__setGlobals({ toolOutput: out }), fixtures.cartResult);
      await frame.locator('main[data-kind="cart"]').waitFor();
    } else {
      const frame = await mount(h, page, { mode, widget: 'cart', result: { isError: true, content: [{ type: 'text', text: 'Your cart could not be found.' }] }, waitForResult: false });
      await frame.getByRole('alert').filter({ hasText: 'Your cart could not be found.' }).waitFor();
      await screenshot(h, page, `${mode}-error-result`);
    }
    await page.close();
  });

  it('sort and pagination re-query search_products with the current query and filters', async () => {
    const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
    const page = await h.newPage(async (name, args) => {
      calls.push({ name, args });
      const n = Number(args.page ?? 1);
      return asToolResult({ ...fixtures.productList, filters: { ...fixtures.productList.filters, sort_by: args.sort_by }, page_info: { ...fixtures.productList.page_info, page: n, has_more: n < 3 } });
    });
    const frame = await mount(h, page, { mode, widget: 'product-list', result: asToolResult(fixtures.productList) });
    await frame.getByLabel('Sort by').selectOption('price_asc');
    await expect.poll(() => calls.length).toBe(1);
    await frame.getByRole('button', { name: 'Next' }).click();
    await frame.getByText('Page 2 of 3').waitFor();
    expect(calls.map((c) => c.args)).toEqual([
      { query: 'running shoes', in_stock_only: true, sort_by: 'price_asc', page: 1, per_page: 6 },
      { query: 'running shoes', in_stock_only: true, sort_by: 'price_asc', page: 2, per_page: 6 },
    ]);
    expect(await frame.getByLabel('Sort by').inputValue()).toBe('price_asc');
    await page.close();
  });

  it('product list: the assistant’s filters show as removable chips and seed the filter panel', async () => {
    const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
    const page = await h.newPage(async (name, args) => {
      calls.push({ name, args });
      return asToolResult({ ...fixtures.productList, filters: { in_stock_only: true, sort_by: 'relevance', max_price: 10000, brands: ['Stridewell'] } });
    }, 375);
    // The result's filters say nothing: the chips come from the tool input alone.
    const input = { query: 'running shoes', max_price: 100, brands: ['Stridewell'], sizes: ['10'], in_stock_only: true };
    const frame = await mount(h, page, { mode, widget: 'product-list', result: asToolResult(fixtures.productList), input, theme: 'dark' });
    const chips = frame.getByRole('list', { name: 'Active filters' }).getByTestId('filter-chip');
    expect(await chips.allTextContents()).toEqual(['“running shoes”✕', 'Up to $100.00✕', 'Brand: Stridewell✕', 'Size 10✕', 'In stock only✕']);
    expect((await fitsWidth(frame)).scrollWidth).toBeLessThanOrEqual(375);
    await frame.getByRole('button', { name: 'Filters', exact: true }).click();
    expect(await frame.getByLabel('Maximum price').inputValue()).toBe('100.00');
    expect(await frame.getByRole('button', { name: /^Size 10 \(/ }).getAttribute('aria-pressed')).toBe('true');
    expect(await frame.getByRole('button', { name: /^Brand Stridewell \(/ }).getAttribute('aria-pressed')).toBe('true');
    expect(await frame.getByRole('button', { name: /^Brand Aerofoot \(/ }).getAttribute('aria-pressed')).toBe('false');
    await screenshot(h, page, `${mode}-product-list-input-chips-dark-375`);
    await frame.getByRole('button', { name: 'Remove filter Size 10' }).click();
    await expect.poll(() => calls.length).toBe(1);
    expect(calls[0]).toEqual({ name: 'search_products', args: { query: 'running shoes', in_stock_only: true, sort_by: 'relevance', max_price: 100, brands: ['Stridewell'], page: 1, per_page: 6 } });
    // The new result speaks for itself: the removed size stays removed.
    await expect.poll(() => chips.allTextContents()).toEqual(['“running shoes”✕', 'Up to $100.00✕', 'Brand: Stridewell✕', 'In stock only✕']);
    await page.close();
  });

  it('checkout pre-fills the address the assistant passed, never over the one the server holds', async () => {
    const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
    const page = await h.newPage(async (name, args) => {
      calls.push({ name, args });
      return asToolResult(fixtures.reviewResult);
    });
    const shipping_address = { name: 'Grace Hopper', line1: '2 Navy Way', city: 'Arlington', state: 'VA', postal_code: '22202', country: 'US' };
    const frame = await mount(h, page, { mode, widget: 'checkout', result: asToolResult(fixtures.checkoutResult), input: { shipping_address } });
    expect(await frame.getByLabel('Full name').inputValue()).toBe('Grace Hopper');
    expect(await frame.getByLabel('Street address').inputValue()).toBe('2 Navy Way');
    expect(await frame.getByLabel('City').inputValue()).toBe('Arlington');
    expect(await frame.getByLabel('State').inputValue()).toBe('VA');
    expect(await frame.getByLabel('ZIP / postal code').inputValue()).toBe('22202');
    await screenshot(h, page, `${mode}-checkout-prefilled`);
    await frame.getByRole('button', { name: 'Continue to payment' }).click();
    await expect.poll(() => calls.length).toBe(1);
    expect(calls[0].args).toEqual({ cart_id: fixtures.checkoutResult.cart_id, shipping_address, shipping_method: 'standard' });
    await page.close();

    // The server already holds Ada's address: the assistant's does not replace it.
    const held = await h.newPage(noCalls);
    const review = await mount(h, held, { mode, widget: 'checkout', result: asToolResult(fixtures.reviewResult), input: { shipping_address } });
    await review.getByRole('button', { name: /1\. Shipping/ }).click();
    expect(await review.getByLabel('Full name').inputValue()).toBe('Ada Lovelace');
    expect(await review.getByLabel('ZIP / postal code').inputValue()).toBe('94105');
    await held.close();
  });

  it('cart marks the line just added, from last_added_line_id or else the add_to_cart input', async () => {
    const page = await h.newPage(noCalls, 375);
    const frame = await mount(h, page, { mode, widget: 'cart', result: asToolResult(fixtures.cartResult), theme: 'dark' });
    const badged = frame.locator('[data-testid="cart-line"]').filter({ hasText: 'Just added' });
    expect(await badged.count()).toBe(1);
    expect(await badged.textContent()).toContain('Pegasus 41 Road Running Shoe');
    await screenshot(h, page, `${mode}-cart-just-added-dark-375`);
    await page.close();

    const { last_added_line_id: _omit, ...withoutId } = fixtures.cartResult;
    const mug = fixtures.productList.items[4];
    const second = await h.newPage(noCalls);
    const cart = await mount(h, second, { mode, widget: 'cart', result: asToolResult(withoutId), input: { product_id: mug.id, quantity: 3 } });
    const marked = cart.locator('[data-testid="cart-line"]').filter({ hasText: 'Just added' });
    expect(await marked.count()).toBe(1);
    expect(await marked.textContent()).toContain(mug.name);
    await second.close();
  });

  it('preferred delivery date: min from the chosen method, max 30 days out, weekends refused for standard, server refusal on the field', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const dated = checkoutFrom(today);
    const [standard, express] = dated.cart.shipping_options;
    const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
    const page = await h.newPage(async (name, args) => {
      calls.push({ name, args });
      // As the cart service refuses the date (its FieldIssue), mapped by the gateway.
      const message = `${String(args.preferred_delivery_date)} is too early for express shipping (2–3 business days): the earliest is ${express.estimate.earliest}`;
      return toolErrorResult(new AppError('INVALID_INPUT', `Invalid preferred_delivery_date: ${message}.`, { issues: [{ field: 'preferred_delivery_date', rule: 'too_early', message }] })).result as ToolCallResult;
    }, 375);
    const frame = await mount(h, page, { mode, widget: 'checkout', result: asToolResult(dated), input: { shipping_address: { name: 'Ada Lovelace', line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' } } });
    const dateField = frame.getByLabel('Preferred delivery date (optional)');
    const max = new Date(Date.parse(`${today}T00:00:00Z`) + 30 * 86_400_000).toISOString().slice(0, 10);
    expect(await dateField.getAttribute('type')).toBe('date');
    expect(await dateField.getAttribute('min')).toBe(standard.estimate.earliest);
    expect(await dateField.getAttribute('max')).toBe(max);
    await frame.getByLabel(/Express/).check();
    expect(await dateField.getAttribute('min')).toBe(express.estimate.earliest);
    await frame.getByLabel(/Standard/).check();

    // The first Saturday the standard window allows.
    let saturday = standard.estimate.earliest;
    while (new Date(`${saturday}T00:00:00Z`).getUTCDay() !== 6) saturday = new Date(Date.parse(`${saturday}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    await dateField.fill(saturday);
    const dateError = frame.getByTestId('field-error');
    expect(await dateError.allTextContents()).toEqual(['Standard shipping delivers Monday to Friday only. Choose a weekday, or Express shipping.']);
    expect(await dateField.getAttribute('aria-invalid')).toBe('true');
    expect((await fitsWidth(frame)).scrollWidth).toBeLessThanOrEqual(375);
    await screenshot(h, page, `${mode}-checkout-weekend-date-375`);
    await frame.getByRole('button', { name: 'Continue to payment' }).click();
    expect(calls).toEqual([]);

    // Express delivers on Saturdays: the message goes and the date is sent; the server's refusal lands on the field.
    await frame.getByLabel(/Express/).check();
    await expect.poll(() => dateError.count()).toBe(0);
    await frame.getByRole('button', { name: 'Continue to payment' }).click();
    await expect.poll(() => calls.length).toBe(1);
    expect(calls[0].args).toMatchObject({ shipping_method: 'express', preferred_delivery_date: saturday });
    await expect.poll(() => dateError.allTextContents()).toEqual([`${saturday} is too early for express shipping (2–3 business days): the earliest is ${express.estimate.earliest}.`]);
    expect(await dateField.getAttribute('aria-invalid')).toBe('true');
    expect(await frame.getByTestId('error').count()).toBe(0);
    await page.close();
  });

  it('delivery instructions: a 500-character counter, sent as typed, shown as text (never markup) at review and on the order', async () => {
    const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
    const page = await h.newPage(async (name, args) => {
      calls.push({ name, args });
      return asToolResult(fixtures.reviewResult);
    });
    const frame = await mount(h, page, { mode, widget: 'checkout', result: asToolResult(fixtures.reviewResult) });
    await frame.getByRole('button', { name: /1\. Shipping/ }).click();
    const box = frame.getByLabel('Delivery instructions (optional)');
    expect(await box.inputValue()).toBe(markupInstructions);
    const counter = frame.getByTestId('instructions-count');
    expect(await counter.textContent()).toBe(`${markupInstructions.length}/500`);
    expect(await box.getAttribute('aria-describedby')).toContain(await counter.getAttribute('id'));
    await box.fill('x'.repeat(600));
    expect((await box.inputValue()).length).toBe(500);
    expect(await counter.textContent()).toBe('500/500');
    const typed = '<img src=x onerror="window.__injected=true">Gate code 1234';
    await box.fill(typed);
    expect(await counter.textContent()).toBe(`${typed.length}/500`);
    await frame.getByRole('button', { name: 'Continue to payment' }).click();
    await expect.poll(() => calls.length).toBe(1);
    expect(calls[0].args).toMatchObject({ delivery_instructions: typed });
    expect(calls[0].args).not.toHaveProperty('preferred_delivery_date');
    await page.close();

    // The review and the order confirmation show the shopper's markup as text.
    for (const [widget, result] of [
      ['checkout', fixtures.reviewResult],
      ['order', fixtures.orderResult],
    ] as const) {
      const view = await h.newPage(noCalls, 375);
      const shown = await mount(h, view, { mode, widget, result: asToolResult(result), theme: 'dark' });
      const dd = shown.getByTestId('delivery-instructions');
      expect(await dd.textContent()).toBe(markupInstructions);
      expect(await dd.evaluate((el) => el.children.length)).toBe(0);
      expect(await shown.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
      expect(await shown.getByTestId('preferred-date').textContent()).toBe('Mar 10');
      expect((await fitsWidth(shown)).scrollWidth).toBeLessThanOrEqual(375);
      await view.close();
    }
  });

  it('payment: saved methods marked "Saved"; the save checkbox sends save_payment_method, offered only to a signed-in shopper; a guest is offered signing in', async () => {
    const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
    const saving = { ...fixtures.reviewResult, cart: { ...fixtures.reviewResult.cart, checkout: { ...fixtures.reviewResult.cart.checkout, save_payment_method: true } } };
    const page = await h.newPage(async (name, args) => {
      calls.push({ name, args });
      return asToolResult(saving);
    });
    const frame = await mount(h, page, { mode, widget: 'checkout', result: asToolResult(fixtures.reviewResult) });
    await frame.getByRole('button', { name: /2\. Payment/ }).click();
    const visa = frame.locator('label').filter({ hasText: /visa •••• 4242/i });
    const mastercard = frame.locator('label').filter({ hasText: /mastercard •••• 4444/i });
    expect(await visa.textContent()).toContain('Saved');
    expect(await mastercard.textContent()).not.toContain('Saved');
    const save = frame.getByLabel('Save this payment method for next time');
    expect(await save.isChecked()).toBe(false);
    await save.check();
    await screenshot(h, page, `${mode}-checkout-payment-save`);
    await frame.getByRole('button', { name: 'Continue to review' }).click();
    await expect.poll(() => calls.length).toBe(1);
    expect(calls[0]).toEqual({ name: 'update_checkout', args: { cart_id: fixtures.reviewResult.cart_id, payment_method_id: 'pm_card_visa', save_payment_method: true } });
    await frame.getByText('Your payment method will be saved for next time once the order is paid.').waitFor();
    expect(await frame.getByRole('button', { name: 'Sign in to use your saved cards' }).count()).toBe(0);
    await page.close();

    // A guest (no account token) is not offered saving; it is offered signing in: list_payment_methods
    // with sign_in, whose refusal carries the host's sign-in challenge. Once the host has linked the
    // account and answers again, the widget shows the account's checkout.
    const anonymous = { ...fixtures.reviewResult, signed_in: false };
    const asked: Array<{ name: string; args: Record<string, unknown> }> = [];
    const signInMessage = 'Saved payment methods belong to a shop account. Sign in to your shop account (connect it in this app) and ask again.';
    const other = await h.newPage(async (name, args) => {
      asked.push({ name, args });
      if (asked.length === 1) return { isError: true, content: [{ type: 'text', text: signInMessage }], _meta: { 'mcp/www_authenticate': ['Bearer error="insufficient_scope"'] } };
      return asToolResult(fixtures.reviewResult);
    });
    const anon = await mount(h, other, { mode, widget: 'checkout', result: asToolResult(anonymous) });
    await anon.getByRole('button', { name: /2\. Payment/ }).click();
    await anon.getByRole('button', { name: 'Continue to review' }).waitFor();
    expect(await anon.getByLabel('Save this payment method for next time').count()).toBe(0);
    const offer = anon.getByRole('button', { name: 'Sign in to use your saved cards' });
    await offer.click();
    await anon.getByText(signInMessage).waitFor();
    expect(asked).toEqual([{ name: 'list_payment_methods', args: { cart_id: fixtures.reviewResult.cart_id, sign_in: true } }]);
    await offer.click();
    await expect.poll(() => offer.count()).toBe(0);
    expect(asked).toHaveLength(2);
    await other.close();
  });

  it('policy links: all four at review, returns and shipping on the confirmation, opened through the host', async () => {
    const page = await h.newPage(noCalls);
    const review = await mount(h, page, { mode, widget: 'checkout', result: asToolResult(fixtures.reviewResult) });
    const policies = review.getByRole('navigation', { name: 'Store policies' }).getByRole('link');
    expect(await policies.allTextContents()).toEqual(['Terms of sale', 'Privacy policy', 'Returns policy', 'Shipping policy']);
    expect(await policies.evaluateAll((links) => links.map((a) => [a.getAttribute('href'), a.getAttribute('target')]))).toEqual(
      (['terms', 'privacy', 'returns', 'shipping'] as const).map((k) => [fixtures.reviewResult.policies[k], '_blank']),
    );
    await review.getByRole('link', { name: 'Terms of sale' }).click();
    await expect.poll(async () => (await hostLog(page)).filter((e) => e.kind === 'openExternal').map((e) => e.value)).toEqual([fixtures.reviewResult.policies.terms]);

    const order = await mount(h, page, { mode, widget: 'order', result: asToolResult(fixtures.orderResult) });
    const orderLinks = order.getByRole('navigation', { name: 'Returns and shipping policies' }).getByRole('link');
    expect(await orderLinks.allTextContents()).toEqual(['Returns policy', 'Shipping policy']);
    await order.getByRole('link', { name: 'Returns policy' }).click();
    await expect.poll(async () => (await hostLog(page)).filter((e) => e.kind === 'openExternal').map((e) => e.value)).toEqual([fixtures.orderResult.policies.returns]);
    await page.close();
  });
});
