import { AppError } from '@shop/contracts';

/** How much one cart may hold. */
export const MAX_QUANTITY_PER_LINE = 99;
export const MAX_LINES_PER_CART = 100;

export interface HeldLine {
  variant_id: string;
  quantity: number;
}

/**
 * What adding `adding` units of a variant does to a cart: the same variant again merges into
 * its line (one line, summed quantity); a new variant opens a line. Refuses past the limits.
 */
export function planAdd(lines: readonly HeldLine[], variantId: string, adding: number): { merge: boolean; quantity: number; inCart: number } {
  const existing = lines.find((l) => l.variant_id === variantId);
  if (existing) {
    const quantity = existing.quantity + adding;
    if (quantity > MAX_QUANTITY_PER_LINE) {
      throw new AppError('CART_LIMIT', `You can have at most ${MAX_QUANTITY_PER_LINE} of one item; you already have ${existing.quantity}.`, {
        limit: MAX_QUANTITY_PER_LINE,
        in_cart: existing.quantity,
      });
    }
    return { merge: true, quantity, inCart: existing.quantity };
  }
  if (lines.length >= MAX_LINES_PER_CART) {
    throw new AppError('CART_LIMIT', `A cart can hold at most ${MAX_LINES_PER_CART} different items.`, { limit: MAX_LINES_PER_CART });
  }
  return { merge: false, quantity: adding, inCart: 0 };
}
