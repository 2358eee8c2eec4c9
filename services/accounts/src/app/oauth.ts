import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { Logger, Pool } from '@shop/kit';
import { pgAdapterFactory } from '../db/oidc-adapter.js';
import { findCustomer } from '../db/queries.js';
import { DEFAULT_SCOPE, PROTOCOL_SCOPES, SHOP_SCOPES } from '../domain/scopes.js';
import { SIGNING_ALG } from './keys.js';

/** The OAuth server's paths, all under /oauth/ (the metadata under /.well-known/). */
export const OAUTH_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  registration: '/oauth/register',
  jwks: '/oauth/jwks',
  revocation: '/oauth/revoke',
  end_session: '/oauth/logout',
  userinfo: '/oauth/userinfo',
  pushed_authorization_request: '/oauth/par',
  introspection: '/oauth/introspect',
  code_verification: '/oauth/device',
  device_authorization: '/oauth/device/auth',
  backchannel_authentication: '/oauth/backchannel',
  challenge: '/oauth/challenge',
} as const;

/** Whether a request is the OAuth server's (handed to oidc-provider) rather than a page or /v1 route. */
export function isOAuthPath(path: string): boolean {
  return path.startsWith('/oauth/') || path.startsWith('/.well-known/oauth-authorization-server') || path.startsWith('/.well-known/openid-configuration');
}

export interface OAuthOptions {
  issuer: string;
  /** The one resource tokens are for: the gateway's /mcp URL (RFC 8707). */
  resource: string;
  pool: Pool;
  logger: Logger;
  signingKeys: JWK[];
  cookieKeys: string[];
  accessTokenTtl: number;
  refreshTokenTtl: number;
  trustProxy: boolean;
  /** How client metadata documents are fetched; tests pass one that serves them from a loopback server. */
  fetch?: typeof globalThis.fetch;
  /** Lets an error page be rendered in the shop's look. */
  renderError: (title: string, message: string) => string;
}

/**
 * The OAuth 2.1 authorization server: oidc-provider (OpenID-certified; docs/DECISIONS.md) with
 * authorization code + PKCE S256 only, refresh token rotation, RFC 8414 metadata, RFC 7591 dynamic
 * registration and Client ID Metadata Documents, RFC 8707 resource indicators (audience: the
 * gateway's /mcp), RFC 9207 `iss` in every authorization response, JWT access tokens and a JWKS.
 */
export function createOAuthServer(o: OAuthOptions): Provider {
  const shopScope = SHOP_SCOPES.join(' ');
  const configuration: Configuration = {
    adapter: pgAdapterFactory(o.pool),
    jwks: { keys: o.signingKeys as never },
    cookies: { keys: o.cookieKeys, long: { sameSite: 'lax' }, short: { sameSite: 'lax' } },
    routes: OAUTH_ROUTES,
    scopes: [...PROTOCOL_SCOPES, ...SHOP_SCOPES],
    claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
    responseTypes: ['code'],
    // Public clients (ChatGPT, Claude, VS Code register none) and confidential ones.
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: SIGNING_ALG },
    enabledJWA: { idTokenSigningAlgValues: [SIGNING_ALG] },
    // OAuth 2.1: PKCE for every client, confidential ones too (S256 is the only method oidc-provider 9 accepts).
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      clientIdMetadataDocument: {
        enabled: true,
        ack: 'draft-02',
        // Public clients only: a metadata document cannot hold a secret.
        allowClient: async (_ctx: unknown, client: { clientAuthMethod: string }) => client.clientAuthMethod === 'none' || client.clientAuthMethod === 'private_key_jwt',
      } as never,
      resourceIndicators: {
        enabled: true,
        // A client that names no resource still gets a token for the gateway: the only resource there is.
        defaultResource: async () => o.resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (resourceIndicator !== o.resource) throw new errors.InvalidTarget(`this server issues tokens only for ${o.resource}`);
          return {
            scope: shopScope,
            audience: o.resource,
            accessTokenTTL: o.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: SIGNING_ALG } },
          };
        },
      },
    },
    // The grant an access token was issued under travels in it, so the gateway can ask accounts whether
    // it still stands (accounts.grants.check): a JWT is otherwise valid until it expires, even after
    // the person disconnects the app.
    extraTokenClaims: async (_ctx, token) => (token.kind === 'AccessToken' && token.grantId ? { grant_id: token.grantId } : undefined),
    // Refresh tokens for every client allowed the grant, each use rotating it (a reused one revokes the grant).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: o.accessTokenTtl,
      AuthorizationCode: 60,
      RefreshToken: o.refreshTokenTtl,
      Grant: o.refreshTokenTtl,
      Session: 14 * 86_400,
      Interaction: 3600,
      IdToken: 3600,
    },
    // A grant lives as long as the app stays connected, not as long as the browser session.
    expiresWithSession: async () => false,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => {
      const customer = await findCustomer(o.pool, sub);
      if (!customer) return undefined;
      return { accountId: customer.id, claims: async () => ({ sub: customer.id, email: customer.email, name: customer.name }) };
    },
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = o.renderError('Sign-in could not continue', String(out.error_description ?? out.error ?? 'The request could not be completed.'));
    },
    ...(o.fetch ? { fetch: o.fetch as never } : {}),
  };
  const provider = new Provider(o.issuer, configuration);
  provider.proxy = o.trustProxy;
  // RFC 6749 §3.3: a request that names no scope is processed with a pre-defined default. Without
  // one, oidc-provider lets the person sign in and then answers access_denied (nothing granted).
  // The default is the least the shop offers (shop.account), and the consent page still asks for it.
  provider.use(async (ctx, next) => {
    if (ctx.path === OAUTH_ROUTES.authorization && ctx.method === 'GET' && !ctx.query.scope) ctx.query = { ...ctx.query, scope: DEFAULT_SCOPE };
    await next();
  });
  provider.on('server_error', (_ctx, err) => o.logger.error({ err }, 'oauth server error'));
  provider.on('grant.revoked', (_ctx, grantId) => o.logger.info({ grant: grantId }, 'grant revoked'));
  return provider;
}
