import type { ShippingMethod } from '@shop/contracts';

const carriers: Record<ShippingMethod, { name: string; prefix: string }> = {
  standard: { name: 'USPS', prefix: '94' },
  express: { name: 'UPS', prefix: '1Z' },
};

/**
 * A tracking number for a simulated shipment: the carrier's prefix and 18 digits drawn from
 * `randomDigits` (injected so tests are deterministic), and the URL where it can be followed.
 */
export function makeTracking(method: ShippingMethod, randomDigits: string, baseUrl: string): { carrier: string; number: string; url: string } {
  if (!/^\d{18}$/.test(randomDigits)) throw new RangeError('tracking needs 18 random digits');
  const carrier = carriers[method];
  const number = carrier.prefix + randomDigits;
  const url = `${baseUrl.replace(/\/+$/, '')}/${carrier.name.toLowerCase()}/${encodeURIComponent(number)}`;
  return { carrier: carrier.name, number, url };
}
