import { z } from 'zod';

/** Money is an integer number of minor units (cents). Never a float. */
export const Cents = z.number().int('must be an integer number of cents').min(0, 'must not be negative').max(100_000_000_00, 'is too large');
export type Cents = z.infer<typeof Cents>;
export const SignedCents = z.number().int().min(-100_000_000_00).max(100_000_000_00);

export const Currency = z.enum(['USD']);
export type Currency = z.infer<typeof Currency>;
export const DEFAULT_CURRENCY: Currency = 'USD';

export const Money = z.object({ amount: Cents, currency: Currency });
export type Money = z.infer<typeof Money>;

/**
 * Rounds numerator/denominator half-up using integers only (BigInt so no precision is lost).
 * Inputs are non-negative in all money uses here; negatives round half away from zero.
 */
export function divRoundHalfUp(numerator: number, denominator: number): number {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || denominator === 0) {
    throw new RangeError('divRoundHalfUp needs safe integers and a non-zero denominator');
  }
  const n = BigInt(numerator);
  const d = BigInt(denominator);
  const sign = (n < 0n) !== (d < 0n) ? -1n : 1n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (an * 2n + ad) / (ad * 2n);
  return Number(sign * q);
}

/** amount × basisPoints / 10 000, rounded half-up (8.75 % = 875 bp). */
export function applyBasisPoints(amount: number, basisPoints: number): number {
  return divRoundHalfUp(amount * basisPoints, 10_000);
}

/**
 * Converts a dollar amount as a shopper says it ("19.99", 19.99, 100) to cents exactly,
 * by reading its decimal text rather than multiplying a float. More than 2 decimals is refused.
 */
export function dollarsToCents(value: number | string): number {
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) throw new RangeError(`"${text}" is not a dollar amount with at most 2 decimals`);
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(2, '0'));
  return whole * 100 + fraction;
}

function numberToPlainString(n: number): string {
  if (!Number.isFinite(n) || n < 0) return String(n);
  // toString gives the shortest text that round-trips: 19.99 → "19.99", never "19.989999".
  const s = n.toString();
  if (!s.includes('e')) return s;
  return n.toFixed(2);
}

/** A zod schema for dollar amounts in tool arguments; yields cents. */
export const DollarsAsCents = z
  .union([z.number(), z.string()])
  .superRefine((v, ctx) => {
    try {
      dollarsToCents(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a non-negative dollar amount with at most 2 decimals' });
    }
  })
  .transform((v) => dollarsToCents(v));

const formatters = new Map<string, Intl.NumberFormat>();
export function formatMoney(amount: number, currency: Currency = DEFAULT_CURRENCY, locale = 'en-US'): string {
  const key = `${locale}|${currency}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formatters.set(key, f);
  }
  // Division by 100 only for display; the value itself stays integer everywhere else.
  return f.format(amount / 100);
}
