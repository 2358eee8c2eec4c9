import { z } from 'zod';
import { Uuid } from './common.js';

/**
 * What names an item for sale, the one base of the catalogue's variant info, a cart line and an
 * order line: each adds its own prices and counts (a variant's price and stock, a line's unit price
 * and quantity), and the order line keeps it as a snapshot taken at placement.
 */
export const LineItem = z.object({
  product_id: Uuid,
  variant_id: Uuid,
  name: z.string(),
  brand: z.string(),
  size: z.string().nullable(),
  color: z.string().nullable(),
  image_url: z.string(),
});
export type LineItem = z.infer<typeof LineItem>;
