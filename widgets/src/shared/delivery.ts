// Delivery preferences on the checkout's shipping step: the dates a shopper may prefer and the
// instructions' length, checked before a round trip (the cart service re-checks both with the
// same rules from @shop/contracts/rules, which carries no zod).
import { addDays, MAX_DELIVERY_INSTRUCTIONS, MAX_PREFERRED_DELIVERY_DAYS, preferredDateProblem, utcToday } from '@shop/contracts/rules';
import { sentence, toolError } from './errors';
import type { ToolCallResult } from './host';
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

/** The server's refusal of one field (its INVALID_INPUT issue), as a sentence; null when it names another. */
export function serverFieldMessage(result: ToolCallResult, field: string): string | null {
  const issue = toolError(result).issues.find((i) => i.field === field);
  return issue ? sentence(issue.message) : null;
}
