import { shippingMethods, type ShippingMethod } from '@shop/contracts';

function isWeekend(d: Date): boolean {
  const day = d.getUTCDay();
  return day === 0 || day === 6;
}

/** The date `days` business days after `from` (the day of `from` itself does not count). */
export function addBusinessDays(from: Date, days: number): Date {
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (!isWeekend(d)) left--;
  }
  return d;
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

/** Delivery window from the shipping method: standard 5–7, express 2–3 business days after placement. */
export function estimateDelivery(method: ShippingMethod, placedAt: Date): { earliest: string; latest: string } {
  const m = shippingMethods[method];
  return { earliest: isoDate(addBusinessDays(placedAt, m.minBusinessDays)), latest: isoDate(addBusinessDays(placedAt, m.maxBusinessDays)) };
}
