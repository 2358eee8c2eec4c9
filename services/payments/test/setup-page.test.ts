import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentsApi, type AppError } from '@shop/contracts';
import { TEST_SECRETS } from '@shop/kit';
import { bootPayments, type Stack } from './helpers.js';
import { SetupCapabilities } from '../src/domain/setup-capability.js';

const refused = (p: Promise<unknown>) => p.then(() => null, (e: AppError) => e);

/**
 * The demo provider's setup page, reached through a link payments signs for one account: the
 * shopper picks a test card by brand and last 4 and it is saved for that account, and only that one.
 */
describe('demo setup page', () => {
  let stack: Stack;
  const returnUrl = 'http://127.0.0.1:4105/account';
  beforeAll(async () => {
    stack = await bootPayments('payments_setup');
  });
  afterAll(async () => {
    await stack?.close();
  });

  const link = (account: string) => stack.svc.runtime.bus.call(paymentsApi.createSetupLink, { account, return_url: returnUrl });
  const saved = async (account: string) => (await stack.svc.runtime.bus.call(paymentsApi.listMethods, { account })).methods.filter((m) => m.saved);
  const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const post = (url: string, fields: Record<string, string>, origin = new URL(url).origin) =>
    fetch(url, { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields), redirect: 'manual' });

  it('shows the test cards to choose from (no card field), and saves the chosen one for the link\'s account as its default', async () => {
    const account = randomUUID();
    const { url, expires_at } = await link(account);
    expect(url).toMatch(new RegExp(`^${stack.svc.httpUrl.replace('127.0.0.1', '127\\.0\\.0\\.1')}/v1/demo/setup/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$`));
    expect(new Date(expires_at).getTime() - Date.now()).toBeGreaterThan(25 * 60_000);
    expect(new Date(expires_at).getTime() - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    // The account is in no readable form in the link's query, only in its signed token.
    expect(url).not.toContain(account);

    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html.match(/type="radio" name="payment_method_id"/g)).toHaveLength(5);
    expect(html).toContain('Test card: Mastercard ending in 4444');
    expect(html).not.toMatch(/type="(text|number|tel)"/);
    expect(html).toContain(`href="${returnUrl}"`);

    const done = await post(url, { csrf: csrfOf(html), payment_method_id: 'pm_card_mastercard' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Test card: Mastercard ending in 4444 is saved to your account');
    expect((await saved(account)).map((m) => [m.id, m.is_default])).toEqual([['pm_card_mastercard', true]]);
    // Its provider customer was made on first use, once, however many links it asks for.
    await link(account);
    const customers = await stack.svc.runtime.pool.query('select provider, provider_customer_id from payment_customers where account_id = $1', [account]);
    expect(customers.rows).toEqual([{ provider: 'demo', provider_customer_id: expect.stringMatching(/^cus_demo_[0-9a-f]{24}$/) }]);
  });

  it('refuses a form without the page\'s CSRF token, a forged or expired link, and a card that is not a test card', async () => {
    const account = randomUUID();
    const { url } = await link(account);
    const html = await (await fetch(url)).text();
    expect((await post(url, { payment_method_id: 'pm_card_visa' }, 'https://evil.example')).status).toBe(403);
    expect((await post(url, { csrf: 'x'.repeat(43), payment_method_id: 'pm_card_visa' })).status).toBe(403);

    // Another account put into the token: the signature no longer matches.
    const [payload, mac] = url.split('/').pop()!.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = `${stack.svc.httpUrl}/v1/demo/setup/${Buffer.from(JSON.stringify({ ...claims, a: randomUUID() })).toString('base64url')}.${mac}`;
    expect((await fetch(forged)).status).toBe(410);
    // A token signed with another key, and one that expired.
    const otherKey = new SetupCapabilities(Buffer.from('another key entirely, 32 bytes!!'));
    expect((await fetch(`${stack.svc.httpUrl}/v1/demo/setup/${otherKey.sign({ account, returnUrl, expiresAt: new Date(Date.now() + 60_000) })}`)).status).toBe(410);
    const serviceKey = new SetupCapabilities(Buffer.from(TEST_SECRETS.csrfSecret, 'utf8'));
    const fresh = serviceKey.sign({ account, returnUrl, expiresAt: new Date(Date.now() + 60_000) });
    expect((await fetch(`${stack.svc.httpUrl}/v1/demo/setup/${fresh}`)).status).toBe(200);
    const expired = serviceKey.sign({ account, returnUrl, expiresAt: new Date(Date.now() - 1000) });
    expect((await fetch(`${stack.svc.httpUrl}/v1/demo/setup/${expired}`)).status).toBe(410);

    expect((await post(url, { csrf: csrfOf(html), payment_method_id: 'pm_1RealCardOfSomeoneElse' })).status).toBe(400);
    expect(await saved(account)).toEqual([]);
  });

  it('refuses a return URL that is not http(s)', async () => {
    expect(await refused(stack.svc.runtime.bus.call(paymentsApi.createSetupLink, { account: randomUUID(), return_url: 'javascript:alert(1)' }))).toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('setup capability', () => {
  const caps = new SetupCapabilities(Buffer.from('k'.repeat(32)));
  const claims = { account: randomUUID(), returnUrl: 'http://127.0.0.1/account', expiresAt: new Date(Date.now() + 60_000) };
  it('verifies its own tokens until they expire, and nothing else', () => {
    const token = caps.sign(claims);
    expect(caps.verify(token)).toEqual({ ...claims, expiresAt: new Date(Math.floor(claims.expiresAt.getTime() / 1000) * 1000) });
    expect(caps.verify(token, new Date(claims.expiresAt.getTime() + 1000))).toBeNull();
    expect(caps.verify(`${token}x`)).toBeNull();
    expect(caps.verify(token.replace(/^./, (c) => (c === 'e' ? 'f' : 'e')))).toBeNull();
    expect(new SetupCapabilities(Buffer.from('j'.repeat(32))).verify(token)).toBeNull();
  });
});
