import type { Express } from 'express';
import { z } from 'zod';
import {
  GetProductRequest,
  LookupVariantsRequest,
  LookupVariantsResult,
  parseOrThrow,
  ProductDetail,
  RefusedItemsResult,
  Reservation,
  ReserveRequest,
  SearchRequest,
  SearchResult,
  UpdateVariantBody,
  Uuid,
  Variant,
} from '@shop/contracts';
import { buildOpenApi, parseBody, parseParams, type ApiCredentials, type OpenApiRoute } from '@shop/kit';
import type { Catalog } from '../app/catalog.js';
import { searchFromQueryString } from './search-query.js';

const VariantPath = z.object({ id: Uuid }).strict();
const OrderPath = z.object({ order_id: Uuid }).strict();
const ImagePath = z.object({ file: z.string().regex(/^[0-9a-f-]{36}\.svg$/i, 'must be <product id>.svg') });

const openApiRoutes: OpenApiRoute[] = [
  { method: 'get', path: '/v1/products', summary: 'Search products: text, filters, sort, pages and facets', query: SearchRequest, response: SearchResult },
  { method: 'get', path: '/v1/products/:id', summary: 'Product details with variants, availability and related products', response: ProductDetail },
  { method: 'post', path: '/v1/variants/lookup', summary: 'Bulk variant look-up (prices and availability)', body: LookupVariantsRequest, response: LookupVariantsResult },
  { method: 'get', path: '/v1/images/:file', summary: 'Generated product image (SVG), file = <product id>.svg', response: z.string() },
  { method: 'get', path: '/v1/refused-items', summary: 'Feed items refused as prohibited, with the reason', response: RefusedItemsResult },
  { method: 'post', path: '/v1/reservations', summary: 'Reserve stock for an order (all lines or none; idempotent by order id)', body: ReserveRequest, response: Reservation },
  { method: 'get', path: '/v1/reservations/:order_id', summary: 'A reservation', response: Reservation },
  { method: 'post', path: '/v1/reservations/:order_id/commit', summary: 'Commit a reservation (stock leaves)', response: Reservation },
  { method: 'post', path: '/v1/reservations/:order_id/release', summary: 'Release a reservation', response: Reservation },
  { method: 'post', path: '/v1/reservations/:order_id/restock', summary: 'Put committed stock back', response: Reservation },
  { method: 'patch', path: '/v1/admin/variants/:id', summary: 'Operator change of a variant price and/or stock (cents, units)', body: UpdateVariantBody, response: Variant },
];

/**
 * Public: the OpenAPI document and product images (shoppers' browsers load them). Everything else
 * under /v1 needs a credential; anything that changes stock or prices needs an admin one (orders
 * reserves and commits stock over NATS, so over HTTP that is an operator's repair tool).
 */
export function mountRoutes(app: Express, c: Catalog, credentials: ApiCredentials): void {
  const openApi = buildOpenApi(
    { title: 'Catalog service', version: '0.1.0', description: 'Products, search with facets, stock and reservations. Every route but the images needs Authorization: Bearer <token>; reserve, commit, release, restock and /v1/admin need an admin token.' },
    openApiRoutes,
  );
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });

  app.get('/v1/images/:file', async (req, res) => {
    const { file } = parseParams(ImagePath, req);
    const { product_id } = parseOrThrow(GetProductRequest, { product_id: file.slice(0, -4) }, 'path');
    const svg = await c.image(product_id);
    res
      .type('image/svg+xml')
      .set('Cache-Control', 'public, max-age=86400')
      // An SVG can carry script: forbid it from running if the image is opened directly.
      .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
      .set('X-Content-Type-Options', 'nosniff')
      .send(svg);
  });

  // Every route below needs a credential (the ones above are public).
  app.use('/v1', credentials.requireCredential('service'));
  const admin = credentials.requireCredential('admin');

  app.get('/v1/products', async (req, res) => {
    const search = parseOrThrow(SearchRequest, searchFromQueryString(req.query as Record<string, unknown>), 'query');
    res.json(await c.search(search));
  });

  app.get('/v1/products/:id', async (req, res) => {
    const { product_id } = parseOrThrow(GetProductRequest, { product_id: req.params.id }, 'path');
    res.json(await c.products.get(product_id));
  });

  app.post('/v1/variants/lookup', async (req, res) => {
    const body = parseBody(LookupVariantsRequest, req);
    res.json({ variants: await c.products.lookupVariants(body.variant_ids) });
  });

  app.get('/v1/refused-items', async (_req, res) => {
    res.json({ items: await c.products.refusedItems() });
  });

  app.post('/v1/reservations', admin, async (req, res) => {
    const body = parseBody(ReserveRequest, req);
    res.json(await c.reservations.reserve(body.order_id, body.lines, body.ttl_seconds ?? c.config.RESERVATION_TTL_SECONDS));
  });
  app.get('/v1/reservations/:order_id', async (req, res) => {
    res.json(await c.reservations.get(parseParams(OrderPath, req).order_id));
  });
  app.post('/v1/reservations/:order_id/commit', admin, async (req, res) => {
    res.json(await c.reservations.commit(parseParams(OrderPath, req).order_id));
  });
  app.post('/v1/reservations/:order_id/release', admin, async (req, res) => {
    res.json(await c.reservations.release(parseParams(OrderPath, req).order_id));
  });
  app.post('/v1/reservations/:order_id/restock', admin, async (req, res) => {
    res.json(await c.reservations.restock(parseParams(OrderPath, req).order_id));
  });

  app.patch('/v1/admin/variants/:id', admin, async (req, res) => {
    const { id } = parseParams(VariantPath, req);
    const change = parseBody(UpdateVariantBody, req);
    res.json(await c.updateVariant(id, change));
  });
}
