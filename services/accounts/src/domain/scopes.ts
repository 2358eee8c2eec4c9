import { ACCOUNT_SCOPES, type AccountScope } from '@shop/contracts';

/** Scopes a client may ask for besides the shop's: refresh tokens need offline_access in OIDC terms. */
export const PROTOCOL_SCOPES = ['openid', 'offline_access'] as const;

export const SHOP_SCOPES = Object.keys(ACCOUNT_SCOPES) as AccountScope[];

/** What an authorization request that names no scope asks for (RFC 6749 §3.3). */
export const DEFAULT_SCOPE: AccountScope = 'shop.account';

export function isShopScope(s: string): s is AccountScope {
  return (SHOP_SCOPES as string[]).includes(s);
}

/** What a consent page says a scope lets the app do. */
export function describeScope(scope: string): string {
  if (isShopScope(scope)) return ACCOUNT_SCOPES[scope];
  if (scope === 'openid') return 'Know who you are on this shop (your account id)';
  if (scope === 'offline_access') return 'Stay connected until you disconnect it';
  return scope;
}

/** The shop scopes out of a space-separated scope string, in a stable order. */
export function shopScopesOf(scope: string | undefined): AccountScope[] {
  const asked = new Set((scope ?? '').split(' ').filter(Boolean));
  return SHOP_SCOPES.filter((s) => asked.has(s));
}
