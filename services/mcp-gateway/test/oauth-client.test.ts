import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  Client,
  StreamableHTTPClientTransport,
  type OAuthClientInformationMixed,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type OAuthTokens,
} from '@modelcontextprotocol/client';
import { metadataServer } from '../../accounts/test/helpers.js';
import { Browser, codeFromMail, formOn } from './support/accounts.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * The whole sign-in through the MCP SDK v2 client's own OAuth support, as a host does it: RFC 9728
 * discovery from the gateway, RFC 8414 metadata of the accounts server, client registration by DCR
 * and by a Client ID Metadata Document, PKCE (S256), the RFC 8707 resource, RFC 9207 `iss`, token
 * exchange; the person signs up on the real accounts pages (headlessly, the one-time code read
 * from the mail directory) and consents. Then the account's tools work through the same client,
 * and a missing scope is stepped up by the SDK on the gateway's 403.
 */
const REDIRECT = 'http://127.0.0.1:5999/callback';
const CIMD_URL = 'https://sdk-client.example.test/oauth/client.json';
const address = { name: 'Ada Lovelace', line1: '1 Main St', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'US' };

let stack: TestStack;
let docs: Awaited<ReturnType<typeof metadataServer>>;

const clientMetadata: OAuthClientMetadata = {
  client_name: 'SDK e2e client',
  redirect_uris: [REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  // What the client may ever ask for; each authorization asks for what it needs (step-up adds to it).
  scope: 'shop.account shop.orders shop.payment_methods offline_access',
};

/**
 * The host's side of OAuth: where the SDK keeps what it registers and receives, and the "user agent"
 * the SDK sends to the authorization URL: a headless browser that signs up (or is already signed
 * in), consents, and hands back the callback parameters.
 */
class HeadlessHost implements OAuthClientProvider {
  info?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  authorizationUrls: URL[] = [];
  callback?: URLSearchParams;
  readonly browser: Browser;
  constructor(
    private readonly email: string,
    readonly clientMetadataUrl?: string,
  ) {
    this.browser = new Browser(stack.accounts!.issuer);
  }
  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata() {
    return clientMetadata;
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  // Kept with the verifier, so the SDK can check the callback comes from the server it started with.
  discovery?: OAuthDiscoveryState;
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
  async redirectToAuthorization(url: URL) {
    this.authorizationUrls.push(url);
    let page = await this.browser.go(url.href);
    if (!page.leftTo && page.html.includes('Sign in')) {
      const signup = await this.browser.go(`${new URL(page.url).pathname}/signup`);
      const request = formOn(signup.html, '/code-request');
      const codePage = await this.browser.go(request.action, { form: { ...request.fields, name: 'Ada Lovelace', email: this.email } });
      const confirm = formOn(codePage.html, '/code');
      page = await this.browser.go(confirm.action, { form: { ...confirm.fields, code: codeFromMail(stack.accounts!.mailDir, this.email) } });
    }
    if (!page.leftTo) {
      expect(page.html).toContain('Connect SDK e2e client?');
      const allow = formOn(page.html, '/consent');
      page = await this.browser.go(allow.action, { form: allow.fields });
    }
    expect(page.leftTo?.href.startsWith(REDIRECT)).toBe(true);
    this.callback = page.leftTo!.searchParams;
  }
}

type Result = { isError?: boolean; structuredContent?: any; content?: Array<{ text?: string }> };

async function connect(host: HeadlessHost) {
  const transport = new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: host });
  const client = new Client({ name: 'sdk-oauth-e2e', version: '1.0.0' });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as Result;
  return { client, transport, call };
}

function ok(r: Result) {
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent;
}

beforeAll(async () => {
  docs = await metadataServer({ [CIMD_URL]: { client_id: CIMD_URL, client_name: 'SDK e2e client', client_uri: 'https://sdk-client.example.test', ...clientMetadata } });
  stack = await startTestStack({ accounts: true, accountsFetch: docs.fetchVia });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await docs?.close();
});

describe('sign-in through the MCP SDK client', () => {
  it('DCR: discovery, registration, PKCE, consent, token; then the account tools work in the same session', async () => {
    const host = new HeadlessHost('ada@example.com');
    const { call, transport, client } = await connect(host);
    // Before signing in the session is a guest's: browsing works, the orders are only this conversation's.
    const pegasus = ok(await call('search_products', { query: 'Pegasus 41' })).items[0];
    expect(ok(await call('list_orders')).items).toEqual([]);

    expect(await auth(host, { serverUrl: stack.mcpUrl })).toBe('REDIRECT');
    const [url] = host.authorizationUrls;
    expect(url.origin).toBe(stack.accounts!.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('resource')).toBe(stack.mcpUrl);
    // The scope came from the gateway's protected resource metadata.
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['shop.account', 'shop.orders', 'shop.payment_methods']));
    // Registered dynamically: an id the server minted, not a URL.
    expect(host.info?.client_id).toMatch(/^[\w-]+$/);
    expect(host.callback?.get('iss')).toBe(stack.accounts!.issuer);
    await transport.finishAuth(host.callback!);
    expect(host.saved?.token_type).toMatch(/^bearer$/i);
    expect(host.saved?.refresh_token).toBeTruthy();

    // Signed in: the same client now sends the token; the cart and orders are the account's.
    const added = ok(await call('add_to_cart', { product_id: pegasus.id, size: '10', color: 'Black' }));
    expect(added.signed_in).toBe(true);
    ok(await call('update_checkout', { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true }));
    const order = ok(await call('place_order')).order;
    expect(order.status).toBe('confirmed');
    expect(ok(await call('list_orders')).items.map((o: any) => o.number)).toEqual([order.number]);
    await client.close();

    // A new connection of the same host (another conversation) finds the account's history.
    const again = await connect(host);
    expect(ok(await again.call('get_order_status', { order_id: order.number })).order.number).toBe(order.number);
    expect(ok(await again.call('list_orders')).items.map((o: any) => o.number)).toEqual([order.number]);
    await again.client.close();
  });

  it('Client ID Metadata Document: the client id is its https URL, fetched by the accounts server', async () => {
    const host = new HeadlessHost('grace@example.com', CIMD_URL);
    const { call, transport, client } = await connect(host);
    expect(await auth(host, { serverUrl: stack.mcpUrl })).toBe('REDIRECT');
    expect(host.authorizationUrls[0].searchParams.get('client_id')).toBe(CIMD_URL);
    expect(docs.requests).toContain('/oauth/client.json');
    await transport.finishAuth(host.callback!);
    expect(ok(await call('list_orders')).items).toEqual([]);
    // The account's cart (list_payment_methods opens it): the host's client is signed in.
    expect(ok(await call('list_payment_methods')).signed_in).toBe(true);
    await client.close();
  });

  it('a token without a scope a tool needs: the SDK steps up on the 403 insufficient_scope', async () => {
    const host = new HeadlessHost('step-up@example.com');
    // A client registered beforehand for every scope (the SDK registers one for the scope of its first
    // request, and the authorization server keeps a client to the scopes it registered).
    const meta = await (await fetch(`${stack.accounts!.issuer}/.well-known/oauth-authorization-server`)).json();
    const reg = await fetch(meta.registration_endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(clientMetadata) });
    host.info = (await reg.json()) as OAuthClientInformationMixed;
    const { call, transport, client } = await connect(host);
    expect(await auth(host, { serverUrl: stack.mcpUrl, scope: 'shop.account' })).toBe('REDIRECT');
    await transport.finishAuth(host.callback!);
    expect(host.saved?.scope?.split(' ')).not.toContain('shop.orders');
    // The gateway answers 403 with scope="shop.orders"; the SDK re-authorizes with the union of scopes.
    await expect(call('list_orders')).rejects.toThrow();
    expect(host.authorizationUrls).toHaveLength(2);
    expect(host.authorizationUrls[1].searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['shop.account', 'shop.orders']));
    await transport.finishAuth(host.callback!);
    expect(ok(await call('list_orders')).items).toEqual([]);
    await client.close();
  });
});
