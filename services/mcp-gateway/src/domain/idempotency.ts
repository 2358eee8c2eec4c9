/**
 * The key under which place_order records an order when the caller gives none: the same cart at
 * the same version (nothing changed since) yields the same key, so a repeated call returns the
 * existing order instead of charging again. An explicit payment method is part of the key so a
 * shopper can retry a declined order with another card without changing anything else.
 */
export function placeOrderKey(cartId: string, cartVersion: number, paymentMethodId?: string): string {
  const base = `order:${cartId}:v${cartVersion}`;
  return paymentMethodId ? `${base}:${paymentMethodId}` : base;
}

/** One checkout link per cart version: asking again for an unchanged cart returns the same link. */
export function checkoutLinkKey(cartId: string, cartVersion: number): string {
  return `link:${cartId}:v${cartVersion}`;
}
