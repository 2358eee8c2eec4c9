/**
 * The key under which place_order records an order when the caller gives none: the same cart at
 * the same version (nothing changed since) yields the same key, so a repeated call returns the
 * existing order instead of charging again. The payment method is not part of it: calls that differ
 * only in the method are the same placement of the same cart (orders lets a placement whose payment
 * failed be retried under the same key with another method; nothing was charged for it).
 */
export function placeOrderKey(cartId: string, cartVersion: number): string {
  return `order:${cartId}:v${cartVersion}`;
}

/** One checkout link per cart version: asking again for an unchanged cart returns the same link. */
export function checkoutLinkKey(cartId: string, cartVersion: number): string {
  return `link:${cartId}:v${cartVersion}`;
}
