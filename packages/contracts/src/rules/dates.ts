// Calendar and business days, in UTC: the cart, orders, the gateway and the widgets all count
// delivery dates the same way, so a date one of them offers the others accept.

const DAY_MS = 86_400_000;

export type ShippingMethodName = 'standard' | 'express';

export const shippingMethods: Record<ShippingMethodName, { label: string; minBusinessDays: number; maxBusinessDays: number }> = {
  standard: { label: 'Standard (5–7 business days)', minBusinessDays: 5, maxBusinessDays: 7 },
  express: { label: 'Express (2–3 business days)', minBusinessDays: 2, maxBusinessDays: 3 },
};

/** A preferred delivery date is at most this many calendar days after today. */
export const MAX_PREFERRED_DELIVERY_DAYS = 30;

export const weekdayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

export function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export function isWeekend(d: Date): boolean {
  const day = d.getUTCDay();
  return day === 0 || day === 6;
}

export function formatIsoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Today as every service counts days: the UTC calendar date. */
export function utcToday(now: Date = new Date()): string {
  return formatIsoDate(now);
}

/** The day a YYYY-MM-DD text names, or null when it is no real date (2026-02-30). */
export function parseIsoDate(text: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? d : null;
}

/** The YYYY-MM-DD date `days` calendar days after another. */
export function addDays(isoDate: string, days: number): string {
  return formatIsoDate(new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS));
}

/** The day `days` business days after `from` (the day of `from` itself does not count; weekends are skipped). */
export function addBusinessDays(from: Date, days: number): Date {
  const d = startOfUtcDay(from);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (!isWeekend(d)) left--;
  }
  return d;
}

/** The delivery window of a shipping method counted from a day: its min and max business days later. */
export function deliveryEstimate(method: ShippingMethodName, from: Date): { earliest: string; latest: string } {
  const m = shippingMethods[method];
  return { earliest: formatIsoDate(addBusinessDays(from, m.minBusinessDays)), latest: formatIsoDate(addBusinessDays(from, m.maxBusinessDays)) };
}

/** The dates a shopper may prefer: from the method's earliest delivery to 30 days after today. */
export function preferredDateWindow(method: ShippingMethodName, today: Date): { earliest: string; latest: string } {
  return { earliest: deliveryEstimate(method, today).earliest, latest: addDays(formatIsoDate(today), MAX_PREFERRED_DELIVERY_DAYS) };
}

export type PreferredDateProblem = 'invalid_date' | 'too_early' | 'too_late' | 'weekday_only';

/** Why a preferred date cannot be kept with this method within this window, or null when it can. */
export function preferredDateProblem(date: string, method: ShippingMethodName, window: { earliest: string; latest: string }): PreferredDateProblem | null {
  const day = parseIsoDate(date);
  if (!day) return 'invalid_date';
  if (date < window.earliest) return 'too_early';
  if (date > window.latest) return 'too_late';
  // Standard shipping delivers Monday to Friday only.
  if (method === 'standard' && isWeekend(day)) return 'weekday_only';
  return null;
}
