import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AccountId } from '@shop/contracts';

/** What a setup link lets its holder do: add a test card to this account until it expires. */
export interface SetupClaims {
  account: string;
  returnUrl: string;
  expiresAt: Date;
}

const Payload = z.object({ a: AccountId, r: z.string().url(), e: z.number().int() }).strict();

/**
 * The demo setup page's capability: the account, the way back and the expiry, signed by this
 * service (HMAC-SHA256 under the pages' key, kept apart from the CSRF tokens by its prefix). The
 * page acts for the account in the link only if payments made the link, so nobody can choose the
 * account a card is added to, and a link stops working after a few minutes.
 */
export class SetupCapabilities {
  constructor(private readonly key: Buffer) {}

  sign(claims: SetupClaims): string {
    const payload = Buffer.from(JSON.stringify({ a: claims.account, r: claims.returnUrl, e: Math.floor(claims.expiresAt.getTime() / 1000) })).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The claims of a token this service signed and that has not expired; null otherwise. */
  verify(token: string, now: Date = new Date()): SetupClaims | null {
    const [payload, mac, ...rest] = token.split('.');
    if (!payload || !mac || rest.length) return null;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let parsed: z.infer<typeof Payload>;
    try {
      parsed = Payload.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      return null;
    }
    if (parsed.e * 1000 <= now.getTime()) return null;
    return { account: parsed.a, returnUrl: parsed.r, expiresAt: new Date(parsed.e * 1000) };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(`demo-setup:${payload}`).digest('base64url');
  }
}
