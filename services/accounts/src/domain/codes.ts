import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/** One-time sign-in codes: six digits, mailed, kept only as a keyed hash. */
export const CODE_DIGITS = 6;

export function newCode(): string {
  return String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
}

/**
 * A six-digit code has too little entropy for a plain hash (a leaked table is brute-forced in
 * milliseconds), so it is an HMAC under the server key, bound to the e-mail address and challenge.
 */
export function codeHash(key: Buffer, challengeId: string, email: string, code: string): string {
  return createHmac('sha256', key).update(`sign-in-code\0${challengeId}\0${email}\0${code}`).digest('base64url');
}

export function codeMatches(key: Buffer, challengeId: string, email: string, code: string, stored: string): boolean {
  const a = Buffer.from(codeHash(key, challengeId, email, code));
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What a person typed as the code: digits only, spaces and dashes allowed between them. */
export function normaliseCode(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '');
  return new RegExp(`^\\d{${CODE_DIGITS}}$`).test(digits) ? digits : null;
}

export interface CodeState {
  expiresAt: Date;
  consumedAt: Date | null;
  attempts: number;
}

/** Whether a code may still be tried: unspent, unexpired, attempts left. */
export function codeUsable(state: CodeState, maxAttempts: number, now: Date): 'ok' | 'expired' | 'used' | 'too_many_attempts' {
  if (state.consumedAt) return 'used';
  if (state.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (state.attempts >= maxAttempts) return 'too_many_attempts';
  return 'ok';
}
