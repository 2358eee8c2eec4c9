import { AppError, type ShortageDetail } from '@shop/contracts';

export interface RequestedLine {
  variant_id: string;
  quantity: number;
}

/** Lines for the same variant are added together, then sorted by id (the lock order). */
export function mergeLines(lines: RequestedLine[]): RequestedLine[] {
  const byId = new Map<string, number>();
  // Lower-cased as PostgreSQL gives uuids back, so the merged lines sort and compare as stored ones do.
  for (const l of lines) {
    const id = l.variant_id.toLowerCase();
    byId.set(id, (byId.get(id) ?? 0) + l.quantity);
  }
  return [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([variant_id, quantity]) => ({ variant_id, quantity }));
}

export interface StockRow {
  id: string;
  name: string;
  size: string | null;
  color: string | null;
  stock: number;
  reserved: number;
}

export const availableOf = (v: { stock: number; reserved: number }) => Math.max(0, v.stock - v.reserved);

function describe(s: ShortageDetail): string {
  const what = `${s.name}${s.size ? ` (size ${s.size})` : ''}${s.color ? ` in ${s.color}` : ''}`;
  if (s.available === 0) return `${what} is out of stock`;
  return `Only ${s.available} ${s.available === 1 ? 'unit' : 'units'} of ${what} available`;
}

/** Every line that cannot be reserved in full; empty when the whole set fits. */
export function findShortages(lines: RequestedLine[], rows: Map<string, StockRow>): ShortageDetail[] {
  const short: ShortageDetail[] = [];
  for (const l of lines) {
    const v = rows.get(l.variant_id)!;
    const available = availableOf(v);
    if (available < l.quantity) short.push({ variant_id: v.id, name: v.name, size: v.size, color: v.color, requested: l.quantity, available });
  }
  return short;
}

/** OUT_OF_STOCK naming each short item: "Only 2 units of Trailblazer Limited Trail Shoe (size 10) in Forest Green available". */
export function outOfStock(short: ShortageDetail[]): AppError {
  const message = short.map(describe).join('; ');
  return new AppError('OUT_OF_STOCK', message, { items: short });
}
