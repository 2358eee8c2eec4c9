import { formatMoney, type CartMessage, type VariantInfo } from '@shop/contracts';
import { describeItem } from './variants.js';

export interface StoredLine {
  id: string;
  product_id: string;
  variant_id: string;
  name: string;
  brand: string;
  size: string | null;
  color: string | null;
  image_url: string;
  unit_price: number;
  quantity: number;
}

export interface LineChange {
  line_id: string;
  unit_price?: number;
  quantity?: number;
}

export interface Repriced {
  /** Lines as they should be after the changes, each with what the catalog can supply now. */
  lines: Array<StoredLine & { available: number }>;
  changes: LineChange[];
  messages: CartMessage[];
  /** Every line can be bought now (and there is at least one). */
  purchasable: boolean;
}

/**
 * Compares the cart's snapshots with the catalog now. A new price replaces the snapshot and
 * is reported; a quantity above what is left is lowered to it and reported; an item out of
 * stock or withdrawn stays in the cart, flagged with available 0, so the shopper sees it.
 */
export function reprice(lines: readonly StoredLine[], catalog: ReadonlyMap<string, VariantInfo>): Repriced {
  const out: Repriced['lines'] = [];
  const changes: LineChange[] = [];
  const messages: CartMessage[] = [];
  let purchasable = lines.length > 0;
  for (const line of lines) {
    const info = catalog.get(line.variant_id);
    const item = describeItem(line.name, line.size, line.color);
    if (!info || !info.active) {
      messages.push({ type: 'unavailable', line_id: line.id, message: `${item} is no longer available. Remove it to check out.`, available: 0 });
      out.push({ ...line, available: 0 });
      purchasable = false;
      continue;
    }
    const next = { ...line, available: info.available };
    const change: LineChange = { line_id: line.id };
    if (info.price !== line.unit_price) {
      const direction = info.price < line.unit_price ? 'dropped' : 'went up';
      messages.push({
        type: 'price_changed',
        line_id: line.id,
        message: `The price of ${item} ${direction} from ${formatMoney(line.unit_price)} to ${formatMoney(info.price)}; your cart uses the new price.`,
        old_price: line.unit_price,
        new_price: info.price,
      });
      next.unit_price = info.price;
      change.unit_price = info.price;
    }
    if (info.available === 0) {
      messages.push({ type: 'out_of_stock', line_id: line.id, message: `${item} is out of stock. Remove it to check out.`, available: 0 });
      purchasable = false;
    } else if (info.available < line.quantity) {
      const where = line.size !== null ? `left in size ${line.size} of ${line.name}` : `left of ${item}`;
      messages.push({
        type: 'quantity_reduced',
        line_id: line.id,
        message: `Only ${info.available} ${where}: we lowered your quantity from ${line.quantity} to ${info.available}.`,
        available: info.available,
      });
      next.quantity = info.available;
      change.quantity = info.available;
    }
    if (change.unit_price !== undefined || change.quantity !== undefined) changes.push(change);
    out.push(next);
  }
  return { lines: out, changes, messages, purchasable };
}
