import {
  AppError,
  MAX_DELIVERY_INSTRUCTIONS,
  MAX_PREFERRED_DELIVERY_DAYS,
  parseIsoDate,
  preferredDateProblem,
  preferredDateWindow,
  shippingMethods,
  textRuleBroken,
  weekdayNames,
  type ShippingMethod,
} from '@shop/contracts';

// Delivery dates are calendar days in UTC, counted by the shared rules (the same days orders uses for its estimate).

export interface FieldIssue {
  field: string;
  rule: string;
  message: string;
}

/** Why a preferred delivery date cannot be kept with this method as of today, or null when it can. */
export function preferredDateIssue(date: string, method: ShippingMethod, today: Date): FieldIssue | null {
  const field = 'preferred_delivery_date';
  const window = preferredDateWindow(method, today);
  const { minBusinessDays, maxBusinessDays } = shippingMethods[method];
  switch (preferredDateProblem(date, method, window)) {
    case null:
      return null;
    case 'invalid_date':
      return { field, rule: 'invalid_date', message: `${date} is not a real calendar date (use YYYY-MM-DD)` };
    case 'too_early':
      return {
        field,
        rule: 'too_early',
        message: `${date} is too early for ${method} shipping (${minBusinessDays}–${maxBusinessDays} business days): the earliest is ${window.earliest}`,
      };
    case 'too_late':
      return { field, rule: 'too_late', message: `${date} is more than ${MAX_PREFERRED_DELIVERY_DAYS} days out: the latest is ${window.latest}` };
    case 'weekday_only':
      return { field, rule: 'weekday_only', message: `${date} is a ${weekdayNames[parseIsoDate(date)!.getUTCDay()]}: standard shipping delivers Monday to Friday only` };
  }
}

/** Why delivery instructions cannot be stored, or null when they can. */
export function deliveryInstructionsIssue(text: string): FieldIssue | null {
  const field = 'delivery_instructions';
  if (text.length > MAX_DELIVERY_INSTRUCTIONS) {
    return { field, rule: 'too_big', message: `must be at most ${MAX_DELIVERY_INSTRUCTIONS} characters (got ${text.length})` };
  }
  // Tabs and line breaks are fine; other control characters (NUL cannot even be stored) are not text.
  if (textRuleBroken(text, { multiline: true })) {
    return { field, rule: 'control_characters', message: 'must not contain control characters' };
  }
  return null;
}

function invalid(issue: FieldIssue, hint: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('INVALID_INPUT', `Invalid ${issue.field}: ${issue.message}.${hint}`, { issues: [issue], ...details });
}

export interface DeliveryPreferenceChange {
  preferred_delivery_date?: string | null;
  delivery_instructions?: string | null;
}

/**
 * Refuses delivery preferences that do not fit the checkout they would end up in. A new date is
 * checked against the shipping method after the change (standard, the stricter one, until a
 * method is chosen). When only the method changes, the date already held is checked again and a
 * date the new method cannot meet refuses the change, so a preference is never dropped silently:
 * the shopper sends a new date (or null) along with the method.
 */
export function assertDeliveryPreferences(
  change: DeliveryPreferenceChange,
  before: { shipping_method: ShippingMethod | null; preferred_delivery_date: string | null },
  after: { shipping_method: ShippingMethod | null; preferred_delivery_date: string | null },
  today: Date,
): void {
  if (typeof change.delivery_instructions === 'string') {
    const issue = deliveryInstructionsIssue(change.delivery_instructions);
    if (issue) throw invalid(issue, '');
  }
  if (after.preferred_delivery_date === null) return;
  const method = after.shipping_method ?? 'standard';
  const window = preferredDateWindow(method, today);
  if (typeof change.preferred_delivery_date === 'string') {
    const issue = preferredDateIssue(change.preferred_delivery_date, method, today);
    const assumed = after.shipping_method === null ? ' Standard shipping is assumed until you choose a shipping method.' : '';
    if (issue) throw invalid(issue, assumed, { shipping_method: method, ...window });
    return;
  }
  if (after.shipping_method === before.shipping_method) return;
  const issue = preferredDateIssue(after.preferred_delivery_date, method, today);
  if (issue) {
    throw invalid(
      issue,
      ` Your preferred delivery date does not work with ${method} shipping: send a new preferred_delivery_date with the shipping method, or null to clear it.`,
      { shipping_method: method, reason: 'shipping_method_changed', ...window },
    );
  }
}
