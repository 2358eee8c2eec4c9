import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freshDatabase, freshPrefix, testEnv } from '@shop/kit/testing';
import { paymentsApi } from '@shop/contracts';
import { start as startPayments, type RunningPayments } from '../../payments/src/main.js';
import { bootAccounts, codeFromMail, GATEWAY_RESOURCE, pkce, type Stack } from './helpers.js';

let stack: Stack;
// The real payments service (demo provider) on the same NATS prefix: the account page's cards live there.
let payments: RunningPayments;
let paymentsDb: Awaited<ReturnType<typeof freshDatabase>>;
let browser: Browser;
let callback: Server;
let callbackUrl: string;
const received: URL[] = [];

beforeAll(async () => {
  const prefix = freshPrefix();
  stack = await bootAccounts('accounts_pages', { NATS_PREFIX: prefix });
  paymentsDb = await freshDatabase('accounts_pages_payments');
  payments = await startPayments(testEnv(paymentsDb.url, prefix));
  callback = createServer((req, res) => {
    received.push(new URL(req.url ?? '/', callbackUrl));
    res.writeHead(200, { 'content-type': 'text/plain' }).end('app received the code');
  });
  await new Promise<void>((r) => callback.listen(0, '127.0.0.1', () => r()));
  callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => callback?.close(r));
  await stack?.close();
  await payments?.stop();
  await paymentsDb?.drop();
});

/** Presses Tab until the focused element matches, as a keyboard user would; fails after 30 presses. */
async function tabTo(page: Page, matches: (el: { tag: string; text: string; name: string }) => boolean): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement as HTMLInputElement | null;
      return { tag: a?.tagName.toLowerCase() ?? '', text: (a?.textContent ?? '').trim(), name: a?.name ?? '' };
    });
    if (matches(el)) return;
  }
  throw new Error('could not reach the element with Tab');
}

async function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name ?? '');
}

/** Nothing is wider than the 375 px viewport, and every field has a label. */
async function fitsAndLabelled(page: Page): Promise<void> {
  const { scroll, unlabelled } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    unlabelled: [...document.querySelectorAll('input:not([type=hidden])')].filter((i) => !(i as HTMLInputElement).labels?.length).map((i) => (i as HTMLInputElement).name),
  }));
  expect(scroll).toBeLessThanOrEqual(375);
  expect(unlabelled).toEqual([]);
}

describe('pages in Chromium, keyboard only, 375 px wide', () => {
  // One person by keyboard, step by step: the steps run in order in one page and share the state below.
  describe('sign up, then connect an app through consent, then disconnect it on the account page', () => {
    let context: BrowserContext;
    let page: Page;
    let base: string;
    let reg: { client_id: string };
    let verifier: string;
    let got: URL;

    beforeAll(async () => {
      context = await browser.newContext({ viewport: { width: 375, height: 740 } });
      page = await context.newPage();
      base = stack.svc.issuer;
    });
    afterAll(async () => {
      await context?.close();
    });

    it('the sign-up page fits and is labelled, the name field has focus on arrival and Tab reaches the e-mail field', async () => {
      await page.goto(`${base}/signup`);
      await fitsAndLabelled(page);
      // The name field has focus on arrival; everything else is reached with Tab and sent with Enter.
      expect(await focusedName(page)).toBe('name');
      await page.keyboard.type('Keyboard User');
      await page.keyboard.press('Tab');
      expect(await focusedName(page)).toBe('email');
      await page.keyboard.type('keys@example.com');
    });

    it('Enter sends the sign-up to the code page, which fits, says "Check your e-mail" and has the code field focused', async () => {
      await Promise.all([page.waitForURL(/code-request$/, { waitUntil: 'load' }), page.keyboard.press('Enter')]);
      await fitsAndLabelled(page);
      expect(await page.locator('h1').textContent()).toBe('Check your e-mail');
      expect(await focusedName(page)).toBe('code');
    });

    it('typing the e-mailed code and Enter signs in to the account page, which fits', async () => {
      await page.keyboard.type(codeFromMail(stack.mailDir, 'keys@example.com'));
      await Promise.all([page.waitForURL(`${base}/account`), page.keyboard.press('Enter')]);
      expect(await page.locator('h1').textContent()).toBe('Your account');
      await fitsAndLabelled(page);
    });

    it("an MCP client's authorization request opens the interaction page, which fits and names the app", async () => {
      // An MCP client registers and sends the browser to authorize.
      reg = (await (
        await fetch(`${base}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'Keyboard App', redirect_uris: [callbackUrl], token_endpoint_auth_method: 'none' }) })
      ).json()) as { client_id: string };
      const { verifier: v, challenge } = pkce();
      verifier = v;
      const q = new URLSearchParams({ client_id: reg.client_id, response_type: 'code', redirect_uri: callbackUrl, scope: 'shop.account shop.payment_methods', code_challenge: challenge, code_challenge_method: 'S256', state: 'kb', resource: GATEWAY_RESOURCE });
      await page.goto(`${base}/oauth/authorize?${q}`);
      await page.waitForURL(/\/interaction\//);
      await fitsAndLabelled(page);
      expect(await page.textContent('body')).toContain('Keyboard App');
    });

    it('Tab to "Continue as keys@example.com" and Enter opens the consent page, which fits and lists the scopes asked for', async () => {
      await tabTo(page, (el) => el.tag === 'button' && el.text.startsWith('Continue as keys@example.com'));
      await Promise.all([page.waitForSelector('h1:has-text("Connect Keyboard App?")'), page.keyboard.press('Enter')]);
      await fitsAndLabelled(page);
      expect(await page.textContent('body')).toContain('shop.payment_methods');
    });

    it('Tab to Allow and Enter sends the browser back to the app with the state and the issuer', async () => {
      await tabTo(page, (el) => el.tag === 'button' && el.text === 'Allow');
      await Promise.all([page.waitForURL((u) => u.href.startsWith(callbackUrl)), page.keyboard.press('Enter')]);
      got = received.filter((u) => u.pathname === '/callback').at(-1)!;
      expect(got.searchParams.get('state')).toBe('kb');
      expect(got.searchParams.get('iss')).toBe(base);
    });

    it('the code the app received, with its PKCE verifier, exchanges for tokens', async () => {
      const token = await fetch(`${base}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: got.searchParams.get('code')!, redirect_uri: callbackUrl, client_id: reg.client_id, code_verifier: verifier }),
      });
      expect(token.status).toBe(200);
    });

    it('the account page lists the connected app', async () => {
      await page.goto(`${base}/account`);
      expect(await page.textContent('#apps ~ ul')).toContain('Keyboard App');
    });

    it('Tab to Disconnect and Enter disconnects the app, saying so on a page that fits', async () => {
      await tabTo(page, (el) => el.tag === 'button' && el.text === 'Disconnect');
      await Promise.all([page.waitForURL(/done=app_revoked/), page.keyboard.press('Enter')]);
      expect(await page.textContent('[role=status]')).toContain('The app is disconnected');
      await fitsAndLabelled(page);
    });
  });

  // One account's cards by keyboard, step by step: the steps run in order in one page and share the state below.
  describe('adds demo test cards to the account through the setup page, makes one the default and removes one, keyboard only', () => {
    let context: BrowserContext;
    let page: Page;
    let base: string;
    const list = () => page.locator('#payment-methods + ul > li').allTextContents();

    beforeAll(async () => {
      context = await browser.newContext({ viewport: { width: 375, height: 740 } });
      page = await context.newPage();
      base = stack.svc.issuer;
    });
    afterAll(async () => {
      await context?.close();
    });

    /** Account page → Add a card → the provider's page → choose the card (arrow keys) → Save → back. */
    async function addCard(arrowDowns: number, expected: string) {
      await tabTo(page, (el) => el.tag === 'button' && el.text === 'Add a card');
      await Promise.all([page.waitForSelector('h1:has-text("Add a card")'), page.keyboard.press('Enter')]);
      await fitsAndLabelled(page);
      // The link has focus on arrival: Enter follows it to the payments service's own page.
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Continue to the card page');
      await Promise.all([page.waitForURL((u) => u.href.startsWith(`${payments.httpUrl}/v1/demo/setup/`)), page.keyboard.press('Enter')]);
      await fitsAndLabelled(page);
      expect(await page.locator('input[type=text], input[type=number], input[type=tel]').count()).toBe(0);
      await tabTo(page, (el) => el.tag === 'input' && el.name === 'payment_method_id');
      for (let i = 0; i < arrowDowns; i++) await page.keyboard.press('ArrowDown');
      await tabTo(page, (el) => el.tag === 'button' && el.text === 'Save card');
      await Promise.all([page.waitForSelector('h1:has-text("Card saved")'), page.keyboard.press('Enter')]);
      expect(await page.textContent('main, body')).toContain(`${expected} is saved to your account`);
      await fitsAndLabelled(page);
      await tabTo(page, (el) => el.tag === 'a' && el.text === 'Back to your account');
      await Promise.all([page.waitForURL(`${base}/account#payment-methods`), page.keyboard.press('Enter')]);
    }

    it('a new account, signed up by keyboard, has no payment methods saved', async () => {
      await page.goto(`${base}/signup`);
      await page.keyboard.type('Card Holder');
      await page.keyboard.press('Tab');
      await page.keyboard.type('cards@example.com');
      await Promise.all([page.waitForURL(/code-request$/, { waitUntil: 'load' }), page.keyboard.press('Enter')]);
      await page.keyboard.type(codeFromMail(stack.mailDir, 'cards@example.com'));
      await Promise.all([page.waitForURL(`${base}/account`), page.keyboard.press('Enter')]);
      expect(await page.textContent('#payment-methods ~ p')).toContain('No payment methods saved');
    });

    it("the first card, chosen with the arrow keys on the payments service's page (no card number fields), is saved as the default", async () => {
      await addCard(1, 'Test card: Mastercard ending in 4444');
      expect(await page.textContent('#payment-methods + ul')).toContain('Test card: Mastercard ending in 4444 (default)');
    });

    it('a second card saved becomes the default, listed first; the other offers Make default and both Remove', async () => {
      await addCard(0, 'Test card: Visa ending in 4242');
      expect((await list()).map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
        'Test card: Visa ending in 4242 (default) Remove',
        'Test card: Mastercard ending in 4444 Make default Remove',
      ]);
      await fitsAndLabelled(page);
    });

    it('Tab to Make default and Enter makes the other card the default, saying so', async () => {
      await tabTo(page, (el) => el.tag === 'button' && el.text === 'Make default');
      await Promise.all([page.waitForURL(/done=method_default/), page.keyboard.press('Enter')]);
      expect(await page.textContent('[role=status]')).toContain('The default card is changed');
      expect((await list())[0]).toContain('Test card: Mastercard ending in 4444 (default)');
    });

    it('Tab to the first Remove and Enter removes that (default) card; the card left is the default', async () => {
      await tabTo(page, (el) => el.tag === 'button' && el.text === 'Remove');
      await Promise.all([page.waitForURL(/done=method_removed/), page.keyboard.press('Enter')]);
      expect((await list()).map((t) => t.replace(/\s+/g, ' ').trim())).toEqual(['Test card: Visa ending in 4242 (default) Remove']);
    });

    it('what the page showed is what payments holds for this account: the one card left, as its default', async () => {
      // What the page showed is what payments holds for this account, and only for it.
      const account = (await stack.svc.runtime.pool.query<{ id: string }>("select id from customers where email = 'cards@example.com'")).rows[0].id;
      const methods = (await payments.runtime.bus.call(paymentsApi.listMethods, { account })).methods.filter((m) => m.saved);
      expect(methods.map((m) => [m.id, m.is_default])).toEqual([['pm_card_visa', true]]);
    });
  });

  it('a consent page cannot be framed (CSP frame-ancestors none)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const base = stack.svc.issuer;
    await page.setContent(`<iframe id="f" src="${base}/signin"></iframe>`);
    await page.waitForTimeout(500);
    const frame = page.frames().find((f) => f.url().startsWith(base));
    const framedHeading = frame ? await frame.evaluate(() => document.querySelector('h1')?.textContent ?? null).catch(() => null) : null;
    expect(framedHeading).toBeNull();
    await context.close();
  });
});
