export interface LineItem {
  name: string;
  quantity: number;
  unitAmount: number;
}

/**
 * The lines a hosted checkout page shows. When the cart's lines do not add up to the amount
 * (shipping, tax, discounts), one "Order total" line carries the exact amount instead, so the
 * shopper is never charged a different sum than the one agreed.
 */
export function checkoutLineItems(amount: number, items: LineItem[]): LineItem[] {
  const sum = items.reduce((s, i) => s + i.quantity * i.unitAmount, 0);
  if (sum === amount && items.every((i) => i.unitAmount > 0)) return items;
  const count = items.reduce((s, i) => s + i.quantity, 0);
  return [{ name: `Order total (${count} item${count === 1 ? '' : 's'}, incl. shipping and tax)`, quantity: 1, unitAmount: amount }];
}
