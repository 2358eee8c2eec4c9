import type { OrderStatus } from '@shop/contracts';

/**
 * How long after an order a place_order on the conversation's new, untouched cart counts as the
 * same "place it" again. Placing converts the cart, so the conversation's next call gets a new
 * one: a repeat soon after finds the order just placed instead of an empty cart to place.
 */
export const REPEAT_WINDOW_MS = 10 * 60_000;

/**
 * Whether the conversation's latest order is what a place_order on its fresh cart (created at
 * `freshCartCreatedAt`) repeats: placed before that cart, within the window, and not a failed
 * payment (placing again after a decline is a new attempt).
 */
export function repeatedBy(latest: { status: OrderStatus; created_at: Date }, freshCartCreatedAt: Date, now: Date): boolean {
  if (latest.status === 'payment_failed') return false;
  const placedAt = latest.created_at.getTime();
  return placedAt <= freshCartCreatedAt.getTime() && now.getTime() - placedAt <= REPEAT_WINDOW_MS;
}
