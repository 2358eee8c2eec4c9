import type { SavedPaymentMethod } from '@shop/contracts';

export interface SavedMethod {
  id: string;
  brand: string;
  last4: string;
}

/** "Visa ending in 4242": what a shopper sees of a saved card. */
export function methodLabel(brand: string, last4: string): string {
  const name = brand.length ? `${brand[0].toUpperCase()}${brand.slice(1)}` : 'Card';
  return `${name} ending in ${last4}`;
}

/**
 * The methods a customer can pay with: the ones they saved, most recent first and the most recent
 * the default, then those the provider offers everyone (the demo test cards) that they have not
 * saved. A saved method keeps the provider's label when the provider knows it (the demo cards say
 * how they behave). With nothing saved, the provider's list and its default are unchanged.
 */
export function mergeMethods(saved: readonly SavedMethod[], offered: readonly SavedPaymentMethod[]): SavedPaymentMethod[] {
  if (saved.length === 0) return offered.map((m) => ({ ...m, saved: m.saved ?? false }));
  const labels = new Map(offered.map((m) => [m.id, m.label]));
  const savedIds = new Set(saved.map((m) => m.id));
  return [
    ...saved.map((m, i) => ({ id: m.id, brand: m.brand, last4: m.last4, label: labels.get(m.id) ?? methodLabel(m.brand, m.last4), is_default: i === 0, saved: true })),
    ...offered.filter((m) => !savedIds.has(m.id)).map((m) => ({ ...m, is_default: false, saved: m.saved ?? false })),
  ];
}
