// Delivery preferences on the checkout's shipping step: the dates a shopper may prefer and the
// instructions' length, checked before a round trip (the cart service re-checks both with the
// same rules from @shop/contracts/rules, which carries no zod).
import { addDays, MAX_DELIVERY_INSTRUCTIONS, MAX_PREFERRED_DELIVERY_DAYS, preferredDateProblem, utcToday } from '@shop/contracts/rules';
import type { ShippingMethod } from './types';

export { addDays, utcToday };
export const MAX_INSTRUCTIONS = MAX_DELIVERY_INSTRUCTIONS;

export interface DateWindow {
  /** The chosen method's earliest delivery (its shipping option's estimate). */
  min: string;
  /** 30 days after today. */
  max: string;
}

export function preferredDateWindow(earliest: string, today: string): DateWindow {
  return { min: earliest.slice(0, 10), max: addDays(today, MAX_PREFERRED_DELIVERY_DAYS) };
}

/** Why a preferred date cannot be asked for with this method, or null when it can (or none is set). */
export function preferredDateError(date: string, method: ShippingMethod, window: DateWindow): string | null {
  if (!date) return null;
  switch (preferredDateProblem(date, method, { earliest: window.min, latest: window.max })) {
    case null:
      return null;
    case 'invalid_date':
      return 'Enter a date as YYYY-MM-DD.';
    case 'too_early':
      return `The earliest ${method} delivery is ${window.min}.`;
    case 'too_late':
      return `Choose a date within ${MAX_PREFERRED_DELIVERY_DAYS} days (by ${window.max}).`;
    case 'weekday_only':
      return 'Standard shipping delivers Monday to Friday only. Choose a weekday, or Express shipping.';
  }
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
