import { ACCOUNT_SCOPES, type AccountScope } from '@shop/contracts';

/** The scopes this resource server understands, as its metadata lists them (scopes_supported). */
export const SHOP_SCOPES = Object.keys(ACCOUNT_SCOPES) as AccountScope[];

export function isAccountScope(s: string): s is AccountScope {
  return (SHOP_SCOPES as string[]).includes(s);
}
