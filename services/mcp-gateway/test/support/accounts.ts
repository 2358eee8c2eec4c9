import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWTPayload } from 'jose';
import { Browser, codeFromMail, formOn, pkce } from '../../../accounts/test/helpers.js';
import type { TestStack } from './stack.js';

export { Browser, codeFromMail, formOn, pkce };

export const SHOP_SCOPES = 'shop.account shop.orders shop.payment_methods';

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  clientId: string;
  /** The account id: the token's sub. */
  subject: string;
  /** The browser signed in on the accounts pages (its session cookie), for the account page. */
  browser: Browser;
}

async function json(res: Response): Promise<Record<string, any>> {
  const body = await res.text();
  try {
    return JSON.parse(body);
  } catch {
    throw new Error(`not JSON (${res.status}): ${body.slice(0, 300)}`);
  }
}

/**
 * A person connecting an app to the shop, the way a host does it, over plain HTTP: the app
 * registers (RFC 7591), the person signs up on the accounts pages with the code mailed to them,
 * consents, and the app exchanges the code (PKCE) for tokens for the gateway's /mcp.
 */
export async function signUpAndConnect(stack: TestStack, email: string, scope = SHOP_SCOPES): Promise<SignedIn> {
  const accounts = stack.accounts!;
  const meta = await json(await fetch(`${accounts.issuer}/.well-known/oauth-authorization-server`));
  const redirect = 'http://127.0.0.1:5999/callback';
  const reg = await json(
    await fetch(meta.registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Gateway test app', redirect_uris: [redirect], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }),
    }),
  );
  const browser = new Browser(accounts.issuer);
  const { verifier, challenge } = pkce();
  const q = new URLSearchParams({ client_id: reg.client_id, response_type: 'code', redirect_uri: redirect, scope, code_challenge: challenge, code_challenge_method: 'S256', state: 's', resource: stack.mcpUrl });
  const start = await browser.go(`${meta.authorization_endpoint}?${q}`);
  const signup = await browser.go(`${new URL(start.url).pathname}/signup`);
  const request = formOn(signup.html, '/code-request');
  const codePage = await browser.go(request.action, { form: { ...request.fields, name: 'Test Shopper', email } });
  const confirm = formOn(codePage.html, '/code');
  const consent = await browser.go(confirm.action, { form: { ...confirm.fields, code: codeFromMail(accounts.mailDir, email) } });
  const allow = formOn(consent.html, '/consent');
  const back = await browser.go(allow.action, { form: allow.fields });
  const code = back.leftTo?.searchParams.get('code');
  if (!code) throw new Error(`no code: ${back.html.slice(0, 500)}`);
  const tokens = await json(
    await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: reg.client_id, code_verifier: verifier, resource: stack.mcpUrl }),
    }),
  );
  if (!tokens.access_token) throw new Error(`token exchange failed: ${JSON.stringify(tokens)}`);
  const [, payload] = tokens.access_token.split('.');
  const sub = JSON.parse(Buffer.from(payload, 'base64url').toString()).sub as string;
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, clientId: reg.client_id, subject: sub, browser };
}

/**
 * A token signed with the accounts service's own key (the test holds it), with any claims: what a
 * token minted for another resource, expired, or without a scope looks like to the gateway.
 */
export async function mintToken(stack: TestStack, claims: JWTPayload, opts: { key?: Parameters<typeof importJWK>[0]; typ?: string } = {}): Promise<string> {
  const jwk = opts.key ?? stack.accounts!.signingKey;
  const key = await importJWK(jwk, 'ES256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: SHOP_SCOPES, client_id: 'test-client', grant_id: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: opts.typ ?? 'at+jwt' })
    .setIssuer(String(claims.iss ?? stack.accounts!.issuer))
    .setAudience((claims.aud as string | undefined) ?? stack.mcpUrl)
    .setSubject(String(claims.sub ?? randomUUID()))
    .setIssuedAt(claims.iat ?? now)
    .setExpirationTime(claims.exp ?? now + 600)
    .setJti(randomUUID())
    .sign(key);
}
