import type { SavedPaymentMethod } from '@shop/contracts';

export interface SavedMethod {
  id: string;
  brand: string;
  last4: string;
  isDefault: boolean;
}

/** "Visa ending in 4242": what a shopper sees of a saved card. */
export function methodLabel(brand: string, last4: string): string {
  const name = brand.length ? `${brand[0].toUpperCase()}${brand.slice(1)}` : 'Card';
  return `${name} ending in ${last4}`;
}

/**
 * The methods an account (or a guest, with nothing saved) can pay with: its saved ones, the default
 * first, then the test cards it has not saved. A saved test card keeps the test card's label (it says
 * how the card behaves). With nothing saved, the test cards and their default are unchanged.
 */
export function mergeMethods(saved: readonly SavedMethod[], offered: readonly SavedPaymentMethod[]): SavedPaymentMethod[] {
  if (saved.length === 0) return offered.map((m) => ({ ...m, saved: false }));
  const known = new Map(offered.map((m) => [m.id, m]));
  const savedIds = new Set(saved.map((m) => m.id));
  return [
    ...saved.map((m) => ({
      id: m.id,
      brand: m.brand,
      last4: m.last4,
      label: known.get(m.id)?.label ?? methodLabel(m.brand, m.last4),
      is_default: m.isDefault,
      saved: true,
    })),
    ...offered.filter((m) => !savedIds.has(m.id)).map((m) => ({ ...m, is_default: false, saved: false })),
  ];
}
