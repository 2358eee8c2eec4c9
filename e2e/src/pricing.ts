/**
 * The pricing rules of ARCHITECTURE.md, written out independently of the cart service so the
 * end-to-end suite checks the system's totals against the specification, not against itself.
 */
export function halfUp(numerator: number, denominator: number): number {
  return Math.floor((2 * numerator + denominator) / (2 * denominator));
}

export function expectedTotals(lines: Array<{ unit: number; qty: number }>, opts: { percentOff?: number; fixedOff?: number; freeShipping?: boolean; method?: 'standard' | 'express' } = {}) {
  const subtotal = lines.reduce((s, l) => s + l.unit * l.qty, 0);
  const discount = opts.percentOff ? halfUp(subtotal * opts.percentOff, 100) : opts.fixedOff ? Math.min(opts.fixedOff, subtotal) : 0;
  const goods = subtotal - discount;
  const method = opts.method ?? 'standard';
  const shipping = opts.freeShipping ? 0 : method === 'express' ? 1299 : goods >= 5000 ? 0 : 599;
  const tax = halfUp(goods * 875, 10000);
  return { subtotal, discount, shipping, tax, total: goods + shipping + tax };
}
