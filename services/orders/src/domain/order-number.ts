/** ORD-<year>-<sequence, at least 5 digits>, e.g. ORD-2026-00042. */
export function formatOrderNumber(year: number, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1) throw new RangeError('order sequence must be a positive integer');
  return `ORD-${year}-${String(sequence).padStart(5, '0')}`;
}

/** Order references are a uuid or an order number; this tells which. */
export function isOrderNumber(value: string): boolean {
  return /^ORD-\d{4}-\d{5,}$/.test(value);
}
