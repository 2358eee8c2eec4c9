import { statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsApi, AppError } from '@shop/contracts';
import { BusClient } from '@shop/kit';
import { httpBoundaryProblems, rawRequest, serviceHeaders } from '@shop/kit/testing';
import { loadSigningKeys } from '../src/app/keys.js';
import { Browser, bootAccounts, codeFromMail, formOn, mailCount, type Stack } from './helpers.js';

let stack: Stack;
let base: string;

beforeAll(async () => {
  stack = await bootAccounts('accounts_svc', { SIGN_IN_CODE_MAX_ATTEMPTS: '3', SIGN_IN_CODES_PER_WINDOW: '3', PASSWORD_MAX_FAILURES: '3' });
  base = stack.svc.issuer;
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

/** Signs up on the account pages' own sign-up and lands on /account. */
async function signUp(email: string, name = 'Test Person'): Promise<Browser> {
  const b = new Browser(base);
  const signup = await b.go('/signup');
  const req = formOn(signup.html, '/code-request');
  const codePage = await b.go(req.action, { form: { ...req.fields, email, name } });
  const confirm = formOn(codePage.html, '/code');
  const account = await b.go(confirm.action, { form: { ...confirm.fields, code: codeFromMail(stack.mailDir, email) } });
  expect(account.url).toBe(`${base}/account`);
  return b;
}

async function codePageFor(b: Browser, email: string) {
  const signin = await b.go('/signin');
  const req = formOn(signin.html, '/code-request');
  return b.go(req.action, { form: { ...req.fields, email } });
}

describe('one-time codes', () => {
  it('a wrong code counts; after the allowed attempts even the right code is refused', async () => {
    await signUp('attempts@example.com');
    const b = new Browser(base);
    const page = await codePageFor(b, 'attempts@example.com');
    const form = formOn(page.html, '/code');
    const right = codeFromMail(stack.mailDir, 'attempts@example.com');
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i++) {
      const r = await b.go(form.action, { form: { ...form.fields, code: wrong } });
      expect(r.res.status).toBe(401);
      expect(r.html).toContain('That code is not right');
    }
    const late = await b.go(form.action, { form: { ...form.fields, code: right } });
    expect(late.res.status).toBe(429);
    expect(late.html).toContain('Too many wrong codes');
  });

  it('a code works once; a code for another address does not pass', async () => {
    await signUp('once@example.com');
    const b = new Browser(base);
    const page = await codePageFor(b, 'once@example.com');
    const form = formOn(page.html, '/code');
    const code = codeFromMail(stack.mailDir, 'once@example.com');
    const other = await b.go(form.action, { form: { ...form.fields, email: 'attempts@example.com', code } });
    expect(other.res.status).toBe(401);
    const ok = await b.go(form.action, { form: { ...form.fields, code } });
    expect(ok.url).toBe(`${base}/account`);
    const again = await new Browser(base).go(form.action, { form: { ...form.fields, code } });
    // Another browser has no CSRF seed for this form: refused before the code is even looked at.
    expect(again.res.status).toBe(403);
    const replay = await b.go('/signin');
    const f2 = formOn((await b.go(formOn(replay.html, '/code-request').action, { form: { ...formOn(replay.html, '/code-request').fields, email: 'once@example.com' } })).html, '/code');
    const used = await b.go(f2.action, { form: { ...f2.fields, challenge: form.fields.challenge, code } });
    expect(used.html).toContain('already used');
  });

  it('limits codes sent to one address, and a sign-in to an unknown address mails nothing but says the same', async () => {
    const b = new Browser(base);
    const unknown = await codePageFor(b, 'nobody@example.com');
    expect(unknown.html).toContain('Check your e-mail');
    expect(mailCount(stack.mailDir, 'nobody@example.com')).toBe(0);
    await signUp('limit@example.com'); // 1 code
    await codePageFor(b, 'limit@example.com'); // 2
    await codePageFor(b, 'limit@example.com'); // 3
    const refused = await codePageFor(b, 'limit@example.com');
    expect(refused.res.status).toBe(429);
    expect(refused.html).toContain('Too many codes were sent');
    expect(mailCount(stack.mailDir, 'limit@example.com')).toBe(3);
  });

  it('names the field and rule of a bad e-mail address or name, never a 500', async () => {
    const b = new Browser(base);
    const signup = await b.go('/signup');
    const req = formOn(signup.html, '/code-request');
    const bad = await b.go(req.action, { form: { ...req.fields, email: 'not-an-address', name: 'X' } });
    expect(bad.res.status).toBe(400);
    expect(bad.html).toMatch(/email.*must be an e-mail address/);
    const noName = await b.go(req.action, { form: { ...req.fields, email: 'ok@example.com', name: '' } });
    expect(noName.res.status).toBe(400);
    expect(noName.html).toMatch(/name.*is required/);
  });
});

describe('per-IP limit on sign-in posts', () => {
  it('refuses the posts past the limit with 429, whatever the address', async () => {
    const small = await bootAccounts('accounts_ip', { SIGN_IN_POSTS_PER_IP: '3' });
    try {
      const b = new Browser(small.svc.issuer);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const signin = await b.go('/signin');
        const req = formOn(signin.html, '/code-request');
        const r = await b.go(req.action, { form: { ...req.fields, email: `spray${i}@example.com` } });
        statuses.push(r.res.status);
        if (r.res.status === 429) expect(r.html).toContain('Too many sign-in attempts');
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await small.close();
    }
  });
});

describe('password (optional)', () => {
  it('is set on the account page, signs in, and pauses after wrong attempts in a row', async () => {
    const b = await signUp('pw@example.com');
    const account = await b.go('/account');
    const set = formOn(account.html, '/account/password');
    const short = await b.go(set.action, { form: { ...set.fields, password: 'short' } });
    expect(short.res.status).toBe(400);
    expect(short.html).toContain('at least 10 characters');
    const ok = await b.go(set.action, { form: { ...set.fields, password: 'correct horse battery' } });
    expect(ok.html).toContain('Your password is saved');
    const c = new Browser(base);
    const signin = await c.go('/signin');
    const pw = formOn(signin.html, '/signin/password');
    const good = await c.go(pw.action, { form: { ...pw.fields, email: 'pw@example.com', password: 'correct horse battery' } });
    expect(good.url).toBe(`${base}/account`);
    for (let i = 0; i < 3; i++) expect((await c.go(pw.action, { form: { ...pw.fields, email: 'pw@example.com', password: 'wrong password!' } })).res.status).toBe(401);
    const locked = await c.go(pw.action, { form: { ...pw.fields, email: 'pw@example.com', password: 'correct horse battery' } });
    expect(locked.res.status).toBe(429);
  });
});

describe('account pages', () => {
  it('address book: invalid input names the field; the first address is the default; removing the default promotes the next', async () => {
    const b = await signUp('book@example.com', 'Book Keeper');
    const page = await b.go('/account');
    const add = formOn(page.html, '/account/addresses');
    const bad = await b.go(add.action, { form: { ...add.fields, name: 'B K', line1: '1 Main St', city: 'Springfield', state: 'ZZ', postal_code: '12345', country: 'US' } });
    expect(bad.res.status).toBe(400);
    expect(bad.html).toContain('state');
    expect(bad.html).toContain('2-letter US state code');
    await b.go(add.action, { form: { ...add.fields, name: 'B K', line1: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' } });
    const second = await b.go(add.action, { form: { ...add.fields, name: 'B K', line1: '2 Side St', city: 'Springfield', state: 'IL', postal_code: '62702', country: 'US' } });
    expect(second.html).toContain('The address is added');
    const customer = await findCustomerId('book@example.com');
    const bus = new BusClient(stack.svc.runtime.nc, stack.svc.runtime.config.NATS_PREFIX);
    const list = await bus.call(accountsApi.listAddresses, { customer_id: customer });
    expect(list.items.map((a) => [a.address.line1, a.is_default])).toEqual([
      ['1 Main St', true],
      ['2 Side St', false],
    ]);
    const removeDefault = formOn(second.html, `/account/addresses/${list.items[0].id}/remove`);
    await b.go(removeDefault.action, { form: removeDefault.fields });
    const got = await bus.call(accountsApi.getCustomer, { customer_id: customer });
    expect(got.default_address?.address.line1).toBe('2 Side St');
    expect(got.name).toBe('Book Keeper');
  });

  it("shows orders and payment methods from orders/payments, or says they cannot be shown when those services do not answer", async () => {
    const b = await signUp('lonely@example.com');
    const page = await b.go('/account');
    // No orders or payments service answers on this test's subject prefix.
    expect(page.html).toContain('Your orders cannot be shown right now');
    expect(page.html).toContain('Your payment methods cannot be shown right now');
  });

  it('refuses a form without its CSRF token and one from another origin', async () => {
    const b = await signUp('csrf@example.com');
    const page = await b.go('/account');
    const name = formOn(page.html, '/account/name');
    const noToken = await b.go(name.action, { form: { name: 'Mallory' } });
    expect(noToken.res.status).toBe(403);
    const foreign = await b.request(name.action, { form: { ...name.fields, name: 'Mallory' }, headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    // The token is bound to the account: another account's token does not pass either.
    const other = await signUp('csrf2@example.com');
    const otherName = formOn((await other.go('/account')).html, '/account/name');
    const crossed = await b.go(name.action, { form: { ...otherName.fields, name: 'Mallory' } });
    expect(crossed.res.status).toBe(403);
    expect((await stack.svc.app.getCustomer(await findCustomerId('csrf@example.com'))).name).toBe('Test Person');
  });

  it('every page has a strict CSP with frame-ancestors none and is not cached', async () => {
    for (const p of ['/signin', '/signup']) {
      const res = await fetch(`${base}${p}`);
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const anon = await fetch(`${base}/account`, { redirect: 'manual' });
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/signin');
  });

  it('answers only its own Host names', async () => {
    const res = await rawRequest(`${base}/signin`, { headers: { host: 'rebind.example' } });
    expect(res.status).toBe(403);
  });
});

describe('internal APIs', () => {
  it('NATS: unknown account is NOT_FOUND, a malformed id INVALID_INPUT naming the field', async () => {
    const bus = new BusClient(stack.svc.runtime.nc, stack.svc.runtime.config.NATS_PREFIX);
    await expect(bus.call(accountsApi.getCustomer, { customer_id: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const bad = await bus.call(accountsApi.getCustomer, { customer_id: 'nope' }).catch((e: AppError) => e);
    expect((bad as AppError).code).toBe('INVALID_INPUT');
    expect(JSON.stringify((bad as AppError).details)).toContain('customer_id');
  });

  it('HTTP trust boundary: every documented route but the public pages needs a credential (kit httpBoundaryProblems)', async () => {
    const { checked, problems } = await httpBoundaryProblems(base, { public: ['GET /v1/openapi.json', 'GET /signin', 'GET /account'], admin: [] });
    expect(problems).toEqual([]);
    expect(checked).toEqual(expect.arrayContaining(['GET /v1/customers/:customer_id', 'GET /v1/customers/:customer_id/addresses']));
  });

  it('HTTP /v1 needs a service credential', async () => {
    const id = await findCustomerId('book@example.com');
    expect((await fetch(`${base}/v1/customers/${id}`)).status).toBe(401);
    const ok = await fetch(`${base}/v1/customers/${id}`, { headers: serviceHeaders });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { email: string }).email).toBe('book@example.com');
  });
});

describe('signing keys', () => {
  it('are generated once into the key dir (0600) and read back unchanged', async () => {
    const file = path.join(stack.keyDir, 'signing-keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const before = JSON.parse(readFileSync(file, 'utf8')) as { keys: Array<{ kid: string }> };
    const again = await loadSigningKeys(undefined, stack.keyDir);
    expect(again.keys.map((k) => k.kid)).toEqual(before.keys.map((k) => k.kid));
    const jwks = (await (await fetch(`${base}/oauth/jwks`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual(before.keys.map((k) => k.kid));
  });

  it('configured keys must be a private JWKS with kids', async () => {
    await expect(loadSigningKeys('{"keys":[]}', stack.keyDir)).rejects.toThrow(/at least one key/);
    await expect(loadSigningKeys('{"keys":[{"kty":"EC","x":"a","y":"b","crv":"P-256","kid":"k"}]}', stack.keyDir)).rejects.toThrow(/private JWK/);
  });
});

async function findCustomerId(email: string): Promise<string> {
  const { rows } = await stack.svc.runtime.pool.query<{ id: string }>('select id from customers where email = $1', [email]);
  return rows[0].id;
}
