/** ORD-<year>-<sequence, at least 5 digits>, e.g. ORD-2026-00042. */
export function formatOrderNumber(year: number, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1) throw new RangeError('order sequence must be a positive integer');
  return `ORD-${year}-${String(sequence).padStart(5, '0')}`;
}

export const orderNumberPattern = /^ORD-\d{4}-\d{5,}$/;
export function isOrderNumber(value: string): boolean {
  return orderNumberPattern.test(value);
}
