import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { Browser, bootAccounts, codeFromMail, formOn, GATEWAY_RESOURCE, metadataServer, pkce, type Stack } from './helpers.js';

const CHATGPT_CLIENT_ID = 'https://chatgpt.com/oauth/client.json';
const CHATGPT_REDIRECT = 'https://chatgpt.com/connector_platform_oauth_redirect';

let stack: Stack;
let docs: Awaited<ReturnType<typeof metadataServer>>;
let issuer: string;
let meta: Record<string, unknown>;

beforeAll(async () => {
  docs = await metadataServer({
    [CHATGPT_CLIENT_ID]: {
      client_id: CHATGPT_CLIENT_ID,
      client_name: 'ChatGPT',
      client_uri: 'https://chatgpt.com',
      redirect_uris: [CHATGPT_REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
  });
  stack = await bootAccounts('accounts_flow', {}, { fetch: docs.fetchVia });
  issuer = stack.svc.issuer;
  meta = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await docs?.close();
});

/** Starts an authorization request; the browser lands on the sign-in page of the interaction. */
async function authorize(browser: Browser, client: { id: string; redirect: string }, opts: { scope?: string; resource?: string; challenge: string; state?: string }) {
  const q = new URLSearchParams({
    client_id: client.id,
    response_type: 'code',
    redirect_uri: client.redirect,
    scope: opts.scope ?? 'shop.account shop.orders',
    code_challenge: opts.challenge,
    code_challenge_method: 'S256',
    state: opts.state ?? 'st-1',
    resource: opts.resource ?? GATEWAY_RESOURCE,
  });
  return browser.go(`${meta.authorization_endpoint}?${q}`);
}

/** Sign-up inside the interaction (code from the mail directory), then the consent page. */
async function signUpAndConsent(browser: Browser, signInPage: string, signInUrl: string, email: string) {
  expect(signInPage).toContain('Sign in');
  const uidBase = new URL(signInUrl).pathname;
  const signup = await browser.go(`${uidBase}/signup`);
  const request = formOn(signup.html, '/code-request');
  const codePage = await browser.go(request.action, { form: { ...request.fields, name: 'Ada Lovelace', email } });
  expect(codePage.html).toContain('Check your e-mail');
  const confirm = formOn(codePage.html, '/code');
  const consent = await browser.go(confirm.action, { form: { ...confirm.fields, code: codeFromMail(stack.mailDir, email) } });
  return consent;
}

async function token(body: Record<string, string>) {
  const res = await fetch(meta.token_endpoint as string, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('OAuth 2.1 authorization server', () => {
  it('publishes RFC 8414 metadata: code + PKCE S256 only, DCR, client metadata documents, RFC 9207 iss, JWKS', async () => {
    expect(meta.issuer).toBe(issuer);
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    expect(meta.grant_types_supported).not.toContain('implicit');
    expect(meta.registration_endpoint).toBe(`${issuer}/oauth/register`);
    expect(meta.client_id_metadata_document_supported).toBe(true);
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
    expect(meta.jwks_uri).toBe(`${issuer}/oauth/jwks`);
    expect(meta.revocation_endpoint).toBe(`${issuer}/oauth/revoke`);
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['shop.account', 'shop.orders', 'shop.payment_methods']));
    const jwks = (await (await fetch(meta.jwks_uri as string)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.length).toBeGreaterThan(0);
    // Public keys only.
    for (const k of jwks.keys) expect(k.d).toBeUndefined();
  });

  it('a request naming no scope gets the default one, shop.account, after the person consents to it (RFC 6749 §3.3)', async () => {
    const redirect = 'http://127.0.0.1:5998/callback';
    const reg = (await (
      await fetch(meta.registration_endpoint as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Scopeless client', redirect_uris: [redirect], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] }),
      })
    ).json()) as { client_id: string };
    const browser = new Browser(issuer);
    const { verifier, challenge } = pkce();
    const q = new URLSearchParams({ client_id: reg.client_id, response_type: 'code', redirect_uri: redirect, code_challenge: challenge, code_challenge_method: 'S256', state: 'none', resource: GATEWAY_RESOURCE });
    const start = await browser.go(`${meta.authorization_endpoint}?${q}`);
    const consent = await signUpAndConsent(browser, start.html, start.url, 'scopeless@example.com');
    expect(consent.html).toContain('Connect Scopeless client?');
    expect(consent.html).toContain('shop.account');
    expect(consent.html).not.toContain('shop.orders');
    const allow = formOn(consent.html, '/consent');
    const back = await browser.go(allow.action, { form: allow.fields });
    const code = back.leftTo?.searchParams.get('code');
    expect(code, back.leftTo?.href).toBeTruthy();
    const exchanged = await token({ grant_type: 'authorization_code', code: code!, redirect_uri: redirect, client_id: reg.client_id, code_verifier: verifier, resource: GATEWAY_RESOURCE });
    expect(exchanged.status).toBe(200);
    expect(decodeJwt(exchanged.body.access_token).scope).toBe('shop.account');
  });

  // One DCR client from registration to revocation, step by step: the steps run in order and share the state below.
  describe('DCR client: sign up by e-mailed code, consent, code + PKCE, JWT for the gateway, refresh rotation, revocation', () => {
    const redirect = 'http://127.0.0.1:5999/callback';
    type Page = Awaited<ReturnType<Browser['go']>>;
    let client: { client_id: string };
    let browser: Browser;
    let start: Page;
    let consent: Page;
    let code: string;
    let v2: string;
    let c2: string;
    let exchanged: Awaited<ReturnType<typeof token>>;
    let claims: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    let r1: Awaited<ReturnType<typeof token>>;
    let r2: Awaited<ReturnType<typeof token>>;

    it('dynamic client registration answers 201 with a client id', async () => {
      const reg = await fetch(meta.registration_endpoint as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Test MCP client', redirect_uris: [redirect], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }),
      });
      expect(reg.status).toBe(201);
      client = (await reg.json()) as { client_id: string };
    });

    it('an authorization request lands on the interaction page, which no site may frame and which names the client', async () => {
      browser = new Browser(issuer);
      const { challenge } = pkce();
      start = await authorize(browser, { id: client.client_id, redirect }, { challenge, state: 'xyz' });
      expect(start.url).toMatch(/\/interaction\/[\w-]+$/);
      expect(start.res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(start.html).toContain('Test MCP client');
    });

    it('signing up by the e-mailed code leads to the consent page, naming the client, the scopes and the person', async () => {
      consent = await signUpAndConsent(browser, start.html, start.url, 'ada@example.com');
      expect(consent.html).toContain('Connect Test MCP client?');
      expect(consent.html).toContain('shop.orders');
      expect(consent.html).toContain('ada@example.com');
    });

    it('allowing sends the browser back to the client with a code, the state and (RFC 9207) the issuer', async () => {
      const allow = formOn(consent.html, '/consent');
      const back = await browser.go(allow.action, { form: allow.fields });
      expect(back.leftTo?.origin).toBe('http://127.0.0.1:5999');
      const params = back.leftTo!.searchParams;
      expect(params.get('state')).toBe('xyz');
      // RFC 9207: the response names its issuer.
      expect(params.get('iss')).toBe(issuer);
      code = params.get('code')!;
    });

    it('the code is bound to the PKCE verifier: exchanged with another verifier it is refused with invalid_grant', async () => {
      const wrongVerifier = await token({ grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: client.client_id, code_verifier: pkce().verifier, resource: GATEWAY_RESOURCE });
      expect(wrongVerifier.body.error).toBe('invalid_grant');
    });

    it('a new authorization, without signing in again, is answered with a code at once: the session and grant stand', async () => {
      // A new authorization (the failed exchange spent the code) without signing in again: the session and grant stand.
      ({ verifier: v2, challenge: c2 } = pkce());
      const again = await authorize(browser, { id: client.client_id, redirect }, { challenge: c2 });
      expect(again.leftTo?.searchParams.get('code')).toBeTruthy();
      code = again.leftTo!.searchParams.get('code')!;
    });

    it('that code, with its PKCE verifier, exchanges for a Bearer access token and a refresh token', async () => {
      exchanged = await token({ grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: client.client_id, code_verifier: v2, resource: GATEWAY_RESOURCE });
      expect(exchanged.status).toBe(200);
      expect(exchanged.body.token_type).toBe('Bearer');
      expect(exchanged.body.refresh_token).toBeTruthy();
    });

    it('the access token is an ES256 at+jwt for the gateway, verified by the JWKS, carrying the client id and the granted scopes', async () => {
      const jwks = createRemoteJWKSet(new URL(meta.jwks_uri as string));
      const { payload, protectedHeader } = await jwtVerify(exchanged.body.access_token, jwks, { issuer, audience: GATEWAY_RESOURCE });
      claims = payload;
      expect(protectedHeader.typ).toBe('at+jwt');
      expect(protectedHeader.alg).toBe('ES256');
      expect(payload.client_id).toBe(client.client_id);
      expect(String(payload.scope).split(' ').sort()).toEqual(['shop.account', 'shop.orders']);
    });

    it("the access token's subject is the customer made by the sign-up, with the name and e-mail given", async () => {
      const customer = await stack.svc.app.getCustomer(String(claims.sub));
      expect(customer.email).toBe('ada@example.com');
      expect(customer.name).toBe('Ada Lovelace');
    });

    it('refresh rotates: a refresh answers with a new refresh token and an access token for the gateway', async () => {
      r1 = await token({ grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token, client_id: client.client_id, resource: GATEWAY_RESOURCE });
      expect(r1.status).toBe(200);
      expect(r1.body.refresh_token).not.toBe(exchanged.body.refresh_token);
      expect(decodeJwt(r1.body.access_token).aud).toBe(GATEWAY_RESOURCE);
    });

    it('the rotated-in refresh token refreshes in turn', async () => {
      r2 = await token({ grant_type: 'refresh_token', refresh_token: r1.body.refresh_token, client_id: client.client_id });
      expect(r2.status).toBe(200);
    });

    it('revoking the current refresh token (RFC 7009) is answered 200, and it no longer refreshes', async () => {
      const rev = await fetch(meta.revocation_endpoint as string, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: r2.body.refresh_token, client_id: client.client_id }) });
      expect(rev.status).toBe(200);
      const afterRevoke = await token({ grant_type: 'refresh_token', refresh_token: r2.body.refresh_token, client_id: client.client_id });
      expect(afterRevoke.body.error).toBe('invalid_grant');
    });
  });

  it('a reused (rotated-out) refresh token revokes the whole grant', async () => {
    const reg = (await (
      await fetch(meta.registration_endpoint as string, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:5998/cb'], token_endpoint_auth_method: 'none' }) })
    ).json()) as { client_id: string };
    const browser = new Browser(issuer);
    const { verifier, challenge } = pkce();
    const start = await authorize(browser, { id: reg.client_id, redirect: 'http://127.0.0.1:5998/cb' }, { challenge });
    const consent = await signUpAndConsent(browser, start.html, start.url, 'reuse@example.com');
    const allow = formOn(consent.html, '/consent');
    const back = await browser.go(allow.action, { form: allow.fields });
    const t = await token({ grant_type: 'authorization_code', code: back.leftTo!.searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:5998/cb', client_id: reg.client_id, code_verifier: verifier });
    expect(t.status).toBe(200);
    const r1 = await token({ grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: reg.client_id });
    expect(r1.status).toBe(200);
    const replay = await token({ grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: reg.client_id });
    expect(replay.body.error).toBe('invalid_grant');
    const victim = await token({ grant_type: 'refresh_token', refresh_token: r1.body.refresh_token, client_id: reg.client_id });
    expect(victim.body.error).toBe('invalid_grant');
  });

  it('ChatGPT by its client metadata document (served from loopback), with the account page listing and revoking it', async () => {
    const browser = new Browser(issuer);
    const { verifier, challenge } = pkce();
    const start = await authorize(browser, { id: CHATGPT_CLIENT_ID, redirect: CHATGPT_REDIRECT }, { challenge, scope: 'shop.orders shop.payment_methods' });
    expect(docs.requests).toContain('/oauth/client.json');
    expect(start.html).toContain('ChatGPT');
    const consent = await signUpAndConsent(browser, start.html, start.url, 'grace@example.com');
    expect(consent.html).toContain('Connect ChatGPT?');
    expect(consent.html).toContain('chatgpt.com');
    expect(consent.html).toContain('shop.payment_methods');
    // The consent form posts, then the browser is sent to the app: CSP allows that one origin.
    expect(consent.res.headers.get('content-security-policy')).toContain("form-action 'self' https://chatgpt.com");
    const allow = formOn(consent.html, '/consent');
    const back = await browser.go(allow.action, { form: allow.fields });
    expect(back.leftTo?.href.startsWith(CHATGPT_REDIRECT)).toBe(true);
    const t = await token({ grant_type: 'authorization_code', code: back.leftTo!.searchParams.get('code')!, redirect_uri: CHATGPT_REDIRECT, client_id: CHATGPT_CLIENT_ID, code_verifier: verifier, resource: GATEWAY_RESOURCE });
    expect(t.status).toBe(200);
    const { payload } = await jwtVerify(t.body.access_token, createRemoteJWKSet(new URL(meta.jwks_uri as string)), { issuer, audience: GATEWAY_RESOURCE });
    expect(payload.client_id).toBe(CHATGPT_CLIENT_ID);

    // The same browser is signed in on the account pages: ChatGPT is listed; disconnecting it kills its tokens.
    const account = await browser.go('/account');
    expect(account.html).toContain('Connected apps');
    expect(account.html).toContain('ChatGPT');
    const revoke = formOn(account.html, '/revoke');
    const done = await browser.go(revoke.action, { form: revoke.fields });
    expect(done.html).toContain('The app is disconnected');
    expect(done.html).toContain('No apps are connected');
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: CHATGPT_CLIENT_ID });
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('refuses a resource other than the gateway, a plain PKCE method and a request without PKCE', async () => {
    const browser = new Browser(issuer);
    const { challenge } = pkce();
    const other = await authorize(browser, { id: CHATGPT_CLIENT_ID, redirect: CHATGPT_REDIRECT }, { challenge, resource: 'https://elsewhere.example/mcp' });
    expect(other.leftTo?.searchParams.get('error')).toBe('invalid_target');
    const plain = await browser.go(`${meta.authorization_endpoint}?${new URLSearchParams({ client_id: CHATGPT_CLIENT_ID, response_type: 'code', redirect_uri: CHATGPT_REDIRECT, scope: 'shop.orders', code_challenge: challenge, code_challenge_method: 'plain', resource: GATEWAY_RESOURCE })}`);
    expect(plain.leftTo?.searchParams.get('error')).toBe('invalid_request');
    const none = await browser.go(`${meta.authorization_endpoint}?${new URLSearchParams({ client_id: CHATGPT_CLIENT_ID, response_type: 'code', redirect_uri: CHATGPT_REDIRECT, scope: 'shop.orders', resource: GATEWAY_RESOURCE })}`);
    expect(none.leftTo?.searchParams.get('error')).toBe('invalid_request');
    expect(none.leftTo?.searchParams.get('error_description')).toMatch(/PKCE/);
  });
});
