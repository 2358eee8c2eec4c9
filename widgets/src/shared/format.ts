// Display formatting for the host locale. Money arrives as integer cents; the division by
// 100 happens only here, for display.
const moneyFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

export function formatCents(cents: number, currency: string, locale: string): string {
  const key = `${locale}|${currency}`;
  let f = moneyFormats.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, { style: 'currency', currency });
    } catch {
      f = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    }
    moneyFormats.set(key, f);
  }
  return f.format(cents / 100);
}

/** Cents as a plain dollar string ("12.50") for display in inputs, built with integers only. */
export function centsToDollarText(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** A dollar amount typed by the shopper ("12", "12.5", "12.50") to cents, or null when it is not one. */
export function dollarTextToCents(text: string): number | null {
  const m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

function dateFormat(locale: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(opts)}`;
  let f = dateFormats.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(locale, opts);
    } catch {
      f = new Intl.DateTimeFormat('en-US', opts);
    }
    dateFormats.set(key, f);
  }
  return f;
}

/** A calendar date (YYYY-MM-DD) shown without shifting by the viewer's time zone. */
export function formatDay(isoDate: string, locale: string): string {
  const d = new Date(`${isoDate.slice(0, 10)}T12:00:00Z`);
  return dateFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(d);
}

export function formatDayRange(earliest: string, latest: string, locale: string): string {
  return earliest.slice(0, 10) === latest.slice(0, 10) ? formatDay(earliest, locale) : `${formatDay(earliest, locale)} – ${formatDay(latest, locale)}`;
}

export function formatDateTime(iso: string, locale: string): string {
  return dateFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/**
 * Cents as the dollar number a tool argument takes (search_products' min/max_price). 1999 / 100
 * serialises as 19.99, which the gateway reads back to 1999 exactly from its decimal text.
 */
export function centsToDollarArg(cents: number): number {
  return cents / 100;
}

/** Shoe sizes as numbers ("7" before "10"); other sizes (S, M, L) keep the server's order. */
export function orderSizes<T>(values: T[], key: (v: T) => string = String): T[] {
  return values.every((v) => /^\d+(\.\d+)?$/.test(key(v))) ? [...values].sort((a, b) => Number(key(a)) - Number(key(b))) : values;
}
