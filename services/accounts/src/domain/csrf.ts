import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed double-submit CSRF tokens: a form carries HMAC(key, seed, purpose), where the seed is a
 * random value in an HttpOnly, SameSite=Lax cookie of the same browser. A page elsewhere can
 * neither read the cookie nor compute the token.
 */
export function csrfToken(key: Buffer, seed: string, purpose: string): string {
  return createHmac('sha256', key).update(`csrf\0${seed}\0${purpose}`).digest('base64url');
}

export function csrfValid(key: Buffer, seed: string | undefined, purpose: string, presented: unknown): boolean {
  if (!seed || typeof presented !== 'string') return false;
  const a = Buffer.from(csrfToken(key, seed, purpose));
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
