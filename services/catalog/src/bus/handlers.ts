import { catalogApi } from '@shop/contracts';
import { handle, type HandlerBinding } from '@shop/kit';
import type { Catalog } from '../app/catalog.js';

/** The NATS API: every request is parsed by its contract (in the kit) before it gets here. */
export function catalogHandlers(c: Catalog): HandlerBinding[] {
  return [
    handle(catalogApi.search, (req) => c.search(req)),
    handle(catalogApi.get, (req) => c.products.get(req.product_id)),
    handle(catalogApi.variants, async (req) => {
      const [product, others] = await Promise.all([c.products.variantsOf(req.product_id), req.with_variant_ids?.length ? c.products.lookupVariants(req.with_variant_ids) : undefined]);
      return others ? { ...product, with_variants: others } : product;
    }),
    handle(catalogApi.lookupVariants, async (req) => ({ variants: await c.products.lookupVariants(req.variant_ids) })),
    handle(catalogApi.reserve, (req) => c.reservations.reserve(req.order_id, req.lines, req.ttl_seconds ?? c.config.RESERVATION_TTL_SECONDS)),
    handle(catalogApi.commit, (req) => c.reservations.commit(req.order_id)),
    handle(catalogApi.extend, (req) => c.reservations.extend(req.order_id, req.ttl_seconds)),
    handle(catalogApi.release, (req) => c.reservations.release(req.order_id)),
    handle(catalogApi.restock, (req) => c.reservations.restock(req.order_id)),
    handle(catalogApi.getReservation, (req) => c.reservations.get(req.order_id)),
    handle(catalogApi.getImage, async (req) => ({ svg: await c.image(req.product_id) })),
    handle(catalogApi.listRefused, async () => ({ items: await c.products.refusedItems() })),
    handle(catalogApi.updateVariant, (req) => c.updateVariant(req.variant_id, { price: req.price, stock: req.stock })),
  ];
}
