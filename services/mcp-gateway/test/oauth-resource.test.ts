import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { formOn, mintToken, signUpAndConnect, type SignedIn } from './support/accounts.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * The gateway as an OAuth resource server, against the REAL accounts service (its JWKS, its
 * grants) and the real domain services: the metadata, every way a token can be wrong, scopes,
 * revocation, and that a host-sent `openai/subject` reaches nothing of an account.
 */
const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const address = { name: 'Ada Lovelace', line1: '1 Main St', city: 'San Francisco', state: 'CA', postal_code: '94107', country: 'US' };

let stack: TestStack;
let ada: SignedIn;
let productId: string;

type RpcResult = { isError?: boolean; structuredContent?: any; _meta?: Record<string, any>; content: Array<{ text: string }> };

/** One stateless JSON-RPC tools/call, as a host that keeps no MCP session makes it. */
async function rpc(name: string, args: Record<string, unknown> = {}, opts: { token?: string; meta?: Record<string, string>; authorization?: string } = {}) {
  const headers: Record<string, string> = { ...mcpHeaders };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  const res = await fetch(stack.mcpUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, ...(opts.meta ? { _meta: opts.meta } : {}) } }),
  });
  const text = await res.text();
  const body = text ? JSON.parse(text) : undefined;
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body, result: body?.result as RpcResult | undefined };
}

function ok(r: Awaited<ReturnType<typeof rpc>>) {
  expect(r.status, JSON.stringify(r.body).slice(0, 400)).toBe(200);
  expect(r.result?.isError, JSON.stringify(r.result?.content)).toBeFalsy();
  return r.result!.structuredContent;
}

beforeAll(async () => {
  stack = await startTestStack({ accounts: true, gatewayEnv: { GRANT_CHECK_CACHE_S: '0' } });
  ada = await signUpAndConnect(stack, 'ada@example.com');
  productId = ok(await rpc('search_products', { query: 'Pegasus 41' })).items.find((p: any) => p.name === 'Pegasus 41 Road Running Shoe').id;
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

describe('protected resource metadata (RFC 9728)', () => {
  it('names the accounts issuer, the shop scopes and the /mcp resource, at the root and path-suffixed', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await fetch(`${stack.gatewayUrl}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await res.json()).toMatchObject({
        resource: stack.mcpUrl,
        authorization_servers: [stack.accounts!.issuer],
        scopes_supported: ['shop.account', 'shop.orders', 'shop.payment_methods'],
        bearer_methods_supported: ['header'],
      });
    }
    // The issuer it names really is the accounts server, whose tokens are for this resource.
    const as = await (await fetch(`${stack.accounts!.issuer}/.well-known/oauth-authorization-server`)).json();
    expect(as.issuer).toBe(stack.accounts!.issuer);
  });

  it('every tool declares securitySchemes: noauth for browsing, oauth2 with scopes for account data', async () => {
    const res = await fetch(stack.mcpUrl, { method: 'POST', headers: mcpHeaders, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }) });
    const tools = (await res.json()).result.tools as Array<{ name: string; securitySchemes: unknown; _meta: { securitySchemes: unknown } }>;
    const by = new Map(tools.map((t) => [t.name, t]));
    for (const t of tools) {
      expect(t.securitySchemes, t.name).toEqual(t._meta.securitySchemes);
      expect(t.securitySchemes, t.name).toContainEqual({ type: 'noauth' });
    }
    expect(by.get('search_products')!.securitySchemes).toEqual([{ type: 'noauth' }]);
    expect(by.get('list_payment_methods')!.securitySchemes).toContainEqual({ type: 'oauth2', scopes: ['shop.payment_methods'] });
    for (const name of ['list_orders', 'get_order_status', 'cancel_order', 'refund_order', 'reorder']) expect(by.get(name)!.securitySchemes).toContainEqual({ type: 'oauth2', scopes: ['shop.orders'] });
  });
});

describe('bearer tokens on /mcp', () => {
  const metadataUrl = () => `${stack.gatewayUrl}/.well-known/oauth-protected-resource/mcp`;

  it('no token: a guest call (browsing and carts work)', async () => {
    const r = await rpc('add_to_cart', { product_id: productId, size: '10', color: 'Black' }, { meta: { 'openai/session': 'conv-guest-1' } });
    const cart = ok(r);
    expect(cart.signed_in).toBe(false);
    expect(cart.cart).not.toHaveProperty('owner_subject');
  });

  it('a token from the real sign-in: the call acts as the account, and no result names its owner', async () => {
    const r = await rpc('add_to_cart', { product_id: productId, size: '10', color: 'Black' }, { token: ada.accessToken, meta: { 'openai/session': 'conv-ada-1' } });
    const cart = ok(r);
    expect(cart.signed_in).toBe(true);
    expect(JSON.stringify(r.result)).not.toContain(ada.subject);
  });

  const refused: Array<[string, () => Promise<string>, RegExp]> = [
    ['minted for another resource', () => mintToken(stack, { aud: 'https://other.example/mcp' }), /another resource/],
    ['expired', () => mintToken(stack, { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }), /expired/],
    ['from another issuer', () => mintToken(stack, { iss: 'https://evil.example' }), /another authorization server/],
    [
      'signed by a key the accounts server does not have',
      async () => {
        const { privateKey } = await generateKeyPair('ES256', { extractable: true });
        return mintToken(stack, {}, { key: { ...(await exportJWK(privateKey)), kid: 'gw-test-key' } });
      },
      /signature/,
    ],
    ['not an access token (typ JWT)', () => mintToken(stack, {}, { typ: 'JWT' }), /not valid|typ/],
    ['under a grant that does not exist (revoked)', () => mintToken(stack, { sub: ada.subject }), /disconnected/],
    ['garbage', async () => 'not-a-jwt', /not valid/],
  ];
  for (const [what, token, description] of refused) {
    it(`a token ${what}: 401 invalid_token with the resource metadata`, async () => {
      const r = await rpc('view_cart', {}, { token: await token(), meta: { 'openai/session': 'conv-refused' } });
      expect(r.status).toBe(401);
      expect(r.challenge).toMatch(/^Bearer error="invalid_token"/);
      expect(r.challenge).toContain(`resource_metadata="${metadataUrl()}"`);
      expect(r.challenge).toMatch(description);
      expect(r.body).toMatchObject({ error: 'invalid_token' });
    });
  }

  it('a scheme other than Bearer: 401', async () => {
    const r = await rpc('view_cart', {}, { authorization: 'Basic Zm9vOmJhcg==' });
    expect(r.status).toBe(401);
    expect(r.challenge).toContain(`resource_metadata="${metadataUrl()}"`);
  });

  it('a token without the scope a tool needs: 403 insufficient_scope naming it (step-up)', async () => {
    const narrow = await signUpAndConnect(stack, 'narrow@example.com', 'shop.account');
    const r = await rpc('list_orders', {}, { token: narrow.accessToken });
    expect(r.status).toBe(403);
    expect(r.challenge).toMatch(/^Bearer error="insufficient_scope"/);
    expect(r.challenge).toContain('scope="shop.orders"');
    expect(r.challenge).toContain(`resource_metadata="${metadataUrl()}"`);
    // Tools that need no scope still work with it, as the account.
    expect(ok(await rpc('view_cart', {}, { token: narrow.accessToken, meta: { 'openai/session': 'conv-narrow' } })).signed_in).toBe(true);
    expect(ok(await rpc('add_to_cart', { product_id: productId, size: '10', color: 'Black' }, { token: narrow.accessToken, meta: { 'openai/session': 'conv-narrow' } })).signed_in).toBe(true);
    // list_payment_methods needs shop.payment_methods.
    expect((await rpc('list_payment_methods', {}, { token: narrow.accessToken, meta: { 'openai/session': 'conv-narrow' } })).status).toBe(403);
  });

  it('disconnecting the app on the account page revokes its access token at once (grant check)', async () => {
    const grace = await signUpAndConnect(stack, 'grace@example.com');
    expect(ok(await rpc('list_orders', {}, { token: grace.accessToken })).items).toEqual([]);
    const account = await grace.browser.go('/account');
    const revoke = formOn(account.html, '/revoke');
    const done = await grace.browser.go(revoke.action, { form: revoke.fields });
    expect(done.html).toContain('The app is disconnected');
    const after = await rpc('list_orders', {}, { token: grace.accessToken });
    expect(after.status).toBe(401);
    expect(after.challenge).toMatch(/invalid_token.*disconnected/);
  });
});

describe('identity comes from the token only', () => {
  let order: { id: string; number: string };
  let adaCartId: string;
  beforeAll(async () => {
    const meta = { 'openai/session': 'conv-ada-order' };
    adaCartId = ok(await rpc('add_to_cart', { product_id: productId, size: '10', color: 'Black' }, { token: ada.accessToken, meta })).cart_id;
    ok(await rpc('update_checkout', { shipping_address: address, shipping_method: 'standard', billing_same_as_shipping: true, payment_method_id: 'pm_card_visa', accept_terms: true }, { token: ada.accessToken, meta }));
    order = ok(await rpc('place_order', {}, { token: ada.accessToken, meta })).order;
    expect(order.number).toMatch(/^ORD-/);
  }, 60_000);

  it('the account sees its order from any conversation', async () => {
    const listed = ok(await rpc('list_orders', {}, { token: ada.accessToken, meta: { 'openai/session': 'conv-ada-elsewhere' } }));
    expect(listed.items.map((o: any) => o.number)).toContain(order.number);
    const shown = ok(await rpc('get_order_status', { order_id: order.number }, { token: ada.accessToken }));
    expect(shown.order).not.toHaveProperty('owner_subject');
    expect(shown.order.shipping_address.line1).toBe('1 Main St');
  });

  it("a forged openai/subject (the account's id) reaches nothing, and is told how to sign in", async () => {
    const forged = { 'openai/subject': ada.subject, 'openai/session': 'conv-attacker' };
    expect(ok(await rpc('list_orders', {}, { meta: forged })).items).toEqual([]);
    for (const [tool, args] of [
      ['get_order_status', { order_id: order.number }],
      ['cancel_order', { order_id: order.number }],
      ['refund_order', { order_id: order.number }],
      ['reorder', { order_id: order.number }],
    ] as const) {
      const r = await rpc(tool, args, { meta: forged });
      expect(r.status).toBe(200);
      expect(r.result!.isError, tool).toBe(true);
      expect(r.result!.structuredContent).toBeUndefined();
      expect(r.result!.content[0].text).toMatch(/Sign in to your shop account/);
      expect(r.result!._meta!['shop/error'].code).toBe('ORDER_NOT_FOUND');
      const [challenge] = r.result!._meta!['mcp/www_authenticate'] as string[];
      expect(challenge).toContain(`resource_metadata="${stack.gatewayUrl}/.well-known/oauth-protected-resource/mcp"`);
      expect(challenge).toContain('scope="shop.orders"');
      expect(JSON.stringify(r.result)).not.toContain('1 Main St');
    }
    // The account's cart by its id: refused, with the same way on.
    const cart = await rpc('view_cart', { cart_id: adaCartId }, { meta: forged });
    expect(cart.result!.isError).toBe(true);
    expect(cart.result!._meta!['shop/error'].code).toBe('CART_FORBIDDEN');
    expect(cart.result!._meta!['mcp/www_authenticate']).toHaveLength(1);
    // Even with the account's own conversation id, a guest gets none of its cart.
    const sameConversation = await rpc('view_cart', {}, { meta: { 'openai/subject': ada.subject, 'openai/session': 'conv-ada-order' } });
    expect(JSON.stringify(sameConversation.result)).not.toContain('Pegasus');
  });

  it('a guest lists only the payment methods offered to everyone, and is told how to link the account', async () => {
    const r = ok(await rpc('list_payment_methods', {}, { meta: { 'openai/subject': ada.subject, 'openai/session': 'conv-guest-pm' } }));
    expect(r.payment_methods.every((m: any) => !m.saved)).toBe(true);
    const text = (await rpc('list_payment_methods', {}, { meta: { 'openai/session': 'conv-guest-pm' } })).result!.content[0].text;
    expect(text).toMatch(/sign in/i);
  });

  it('a guest asking to use their saved cards (the checkout widget\'s sign-in offer) gets the sign-in challenge; an account gets its methods', async () => {
    const guest = await rpc('list_payment_methods', { sign_in: true }, { meta: { 'openai/session': 'conv-guest-sign-in' } });
    expect(guest.result!.isError).toBe(true);
    expect(guest.result!.content[0].text).toMatch(/Sign in to your shop account/);
    const [challenge] = guest.result!._meta!['mcp/www_authenticate'] as string[];
    expect(challenge).toMatch(/^Bearer resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/);
    expect(challenge).toContain('scope="shop.payment_methods"');
    const signedIn = ok(await rpc('list_payment_methods', { sign_in: true }, { token: ada.accessToken, meta: { 'openai/session': 'conv-ada-sign-in' } }));
    expect(signedIn.signed_in).toBe(true);
  });
});
