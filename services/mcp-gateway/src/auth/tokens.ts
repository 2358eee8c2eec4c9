import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { OAuthError, OAuthErrorCode, type AuthInfo, type OAuthTokenVerifier } from '@modelcontextprotocol/server';
import { accountsApi, AppError, CustomerId, type AccountScope } from '@shop/contracts';
import type { BusClient, Logger } from '@shop/kit';
import { isAccountScope } from './scopes.js';

/** The one algorithm the accounts server signs access tokens with (services/accounts keys.ts). */
const SIGNING_ALG = 'ES256';

/** Who a verified token speaks for: what the gateway keeps of it in AuthInfo.extra. */
export interface Account {
  /** The token's `sub`: the account id, the only subject the domain services ever see. */
  subject: string;
  clientId: string;
  scopes: AccountScope[];
  grantId: string;
}

export interface TokenVerifierOptions {
  /** The accounts server's issuer URL: every token's `iss`. */
  issuer: string;
  /** Where its JWKS is fetched (inside compose the issuer's public host is not the container's). */
  jwksUrl: string;
  /** The gateway's public /mcp URL: every token's `aud` (RFC 8707). */
  resource: string;
  bus: BusClient;
  logger: Logger;
  /** How long an answer of accounts.grants.check is reused: the longest a disconnected app keeps working. */
  grantCacheMs: number;
  /** Seconds of clock difference with the accounts server tolerated on exp/iat/nbf. */
  clockToleranceS?: number;
  now?: () => number;
}

/** At most this many grant answers are kept (a bound on memory, not on correctness: a miss asks again). */
const MAX_CACHED_GRANTS = 10_000;

/** The account a verified request acts for, from the AuthInfo the HTTP layer attached. */
export function accountOf(auth: AuthInfo | undefined): Account | undefined {
  const account = auth?.extra?.account as Account | undefined;
  return account && typeof account.subject === 'string' ? account : undefined;
}

/**
 * The resource server's token check, as the MCP SDK's OAuthTokenVerifier: the JWT's signature
 * against the accounts JWKS (fetched once, refreshed when a new key id appears), its issuer,
 * audience (this gateway's /mcp), type (`at+jwt`, RFC 9068), expiry, and then whether its grant
 * still stands (accounts.grants.check over NATS, cached for grantCacheMs), so revoking an app in
 * "your account" takes effect before the token's own expiry.
 */
export function createTokenVerifier(o: TokenVerifierOptions): OAuthTokenVerifier {
  const jwks = createRemoteJWKSet(new URL(o.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
  const now = o.now ?? Date.now;
  const grants = new Map<string, { active: boolean; until: number }>();

  async function grantStands(account: Account): Promise<boolean> {
    const key = `${account.grantId}\u0000${account.subject}\u0000${account.clientId}`;
    const cached = grants.get(key);
    if (cached && cached.until > now()) return cached.active;
    const { active } = await o.bus.call(accountsApi.checkGrant, { grant_id: account.grantId, customer_id: account.subject, client_id: account.clientId });
    grants.delete(key);
    if (grants.size >= MAX_CACHED_GRANTS) grants.delete(grants.keys().next().value!);
    grants.set(key, { active, until: now() + o.grantCacheMs });
    return active;
  }

  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          issuer: o.issuer,
          audience: o.resource,
          algorithms: [SIGNING_ALG],
          typ: 'at+jwt',
          requiredClaims: ['sub', 'exp', 'iat', 'client_id', 'grant_id'],
          clockTolerance: o.clockToleranceS ?? 5,
          currentDate: new Date(now()),
        }));
      } catch (e) {
        throw tokenError(e, o.logger);
      }
      const subject = CustomerId.safeParse(payload.sub);
      if (!subject.success || typeof payload.client_id !== 'string' || typeof payload.grant_id !== 'string') {
        throw new OAuthError(OAuthErrorCode.InvalidToken, 'The access token does not name an account.');
      }
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(isAccountScope) : [];
      const account: Account = { subject: subject.data, clientId: payload.client_id, scopes, grantId: payload.grant_id };
      if (!(await grantStands(account))) throw new OAuthError(OAuthErrorCode.InvalidToken, 'The app was disconnected from the account: sign in again.');
      return {
        token,
        clientId: account.clientId,
        scopes,
        expiresAt: payload.exp,
        resource: new URL(o.resource),
        extra: { account },
      };
    },
  };
}

/**
 * A failed JWT check as the OAuth error the client is told. A JWKS the gateway cannot fetch is
 * not the token's fault: that is UNAVAILABLE (503), so a client does not throw its token away.
 */
function tokenError(e: unknown, logger: Logger): Error {
  if (e instanceof joseErrors.JWKSTimeout || (e instanceof TypeError && /fetch/i.test(e.message)) || (e instanceof joseErrors.JOSEError && e.code === 'ERR_JOSE_GENERIC')) {
    logger.warn({ err: e }, 'accounts JWKS unreachable');
    return new AppError('UNAVAILABLE', 'Sign-in cannot be checked right now. Please try again in a moment.');
  }
  if (e instanceof joseErrors.JWTExpired) return new OAuthError(OAuthErrorCode.InvalidToken, 'The access token has expired.');
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return new OAuthError(OAuthErrorCode.InvalidToken, 'The access token was issued for another resource.');
    if (e.claim === 'iss') return new OAuthError(OAuthErrorCode.InvalidToken, 'The access token was issued by another authorization server.');
    return new OAuthError(OAuthErrorCode.InvalidToken, `The access token's ${e.claim} claim is not valid.`);
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed || e instanceof joseErrors.JWKSNoMatchingKey) return new OAuthError(OAuthErrorCode.InvalidToken, 'The access token signature does not verify.');
  return new OAuthError(OAuthErrorCode.InvalidToken, 'The access token is not valid.');
}
