// Delivery preferences on the checkout's shipping step: the dates a shopper may prefer and the
// instructions' length, checked before a round trip (the cart service re-checks both).
import type { ShippingMethod } from './types';

// Mirrors of MAX_DELIVERY_INSTRUCTIONS / MAX_PREFERRED_DELIVERY_DAYS in contracts/checkout.ts;
// importing values from @shop/contracts would bundle zod.
export const MAX_INSTRUCTIONS = 500;
export const MAX_PREFERRED_DAYS = 30;

const DAY_MS = 86_400_000;

/** Today as the cart service counts days: the UTC calendar date. */
export function utcToday(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The weekday of a YYYY-MM-DD date (0 Sunday … 6 Saturday), or null when it is no real date. */
function weekday(isoDate: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === isoDate ? d.getUTCDay() : null;
}

export interface DateWindow {
  /** The chosen method's earliest delivery (its shipping option's estimate). */
  min: string;
  /** 30 days after today. */
  max: string;
}

export function preferredDateWindow(earliest: string, today: string): DateWindow {
  return { min: earliest.slice(0, 10), max: addDays(today, MAX_PREFERRED_DAYS) };
}

/** Why a preferred date cannot be asked for with this method, or null when it can (or none is set). */
export function preferredDateError(date: string, method: ShippingMethod, window: DateWindow): string | null {
  if (!date) return null;
  const day = weekday(date);
  if (day === null) return 'Enter a date as YYYY-MM-DD.';
  if (date < window.min) return `The earliest ${method} delivery is ${window.min}.`;
  if (date > window.max) return `Choose a date within ${MAX_PREFERRED_DAYS} days (by ${window.max}).`;
  if (method === 'standard' && (day === 0 || day === 6)) return 'Standard shipping delivers Monday to Friday only. Choose a weekday, or Express shipping.';
  return null;
}

/**
 * The server's refusal of one field, from either wording: the gateway's INVALID_INPUT
 * ("Invalid preferred_delivery_date: 2026-12-05 is a Saturday: …") or the MCP SDK's input
 * validation ("…: must be … at delivery_instructions").
 */
export function serverFieldMessage(text: string, field: string): string | null {
  for (const part of text.split('\n')) {
    const gateway = new RegExp(`Invalid ${field}: (.+)$`).exec(part);
    if (gateway) return gateway[1].trim();
    const sdk = new RegExp(`:\\s*([^:]+?) at ${field}\\b`).exec(part);
    if (sdk) return `${sdk[1].trim()}.`;
  }
  return null;
}
