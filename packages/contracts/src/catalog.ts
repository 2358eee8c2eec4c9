import { z } from 'zod';
import { Cents, Currency, DEFAULT_CURRENCY } from './money.js';
import { endpoint, FreeText, IsoDateTime, Page, PageInfo, PerPage, Uuid } from './common.js';
import { textLimits } from './rules/index.js';
import { LineItem } from './line-item.js';

const Text = (max: number) => FreeText(max, { min: 1 });

export const SortBy = z.enum(['relevance', 'price_asc', 'price_desc', 'rating', 'newest']);
export type SortBy = z.infer<typeof SortBy>;

export const CategoryRef = z.object({
  slug: z.string(),
  name: z.string(),
  /** From the root down, e.g. ["Shoes", "Running"]. */
  path: z.array(z.string()),
});
export type CategoryRef = z.infer<typeof CategoryRef>;

export const ProductSummary = z.object({
  id: Uuid,
  name: z.string(),
  brand: z.string(),
  category: CategoryRef,
  price: Cents,
  /** Highest variant price when variants differ; equals price otherwise. */
  price_max: Cents,
  currency: Currency,
  rating: z.number().min(0).max(5),
  review_count: z.number().int().min(0),
  image_url: z.string(),
  in_stock: z.boolean(),
  available: z.number().int().min(0),
  sizes: z.array(z.string()),
  colors: z.array(z.string()),
  tags: z.array(z.string()),
});
export type ProductSummary = z.infer<typeof ProductSummary>;

export const Variant = z.object({
  id: Uuid,
  sku: z.string(),
  size: z.string().nullable(),
  color: z.string().nullable(),
  price: Cents,
  stock: z.number().int().min(0),
  /** stock − active reservations */
  available: z.number().int().min(0),
  in_stock: z.boolean(),
});
export type Variant = z.infer<typeof Variant>;

export const ProductDetail = ProductSummary.extend({
  description: z.string(),
  active: z.boolean(),
  variants: z.array(Variant),
  related: z.array(ProductSummary),
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
});
export type ProductDetail = z.infer<typeof ProductDetail>;

const StringList = z.array(Text(textLimits.filterValue)).max(20, 'must list at most 20 values');

export const SearchRequest = z
  .object({
    query: FreeText(textLimits.searchQuery).optional(),
    category: Text(textLimits.category).optional(),
    min_price: Cents.optional(),
    max_price: Cents.optional(),
    brands: StringList.optional(),
    sizes: StringList.optional(),
    colors: StringList.optional(),
    in_stock_only: z.boolean().default(true),
    sort_by: SortBy.default('relevance'),
    page: Page,
    per_page: PerPage,
  })
  .strict()
  .refine((r) => r.min_price === undefined || r.max_price === undefined || r.min_price <= r.max_price, {
    message: 'must not be greater than max_price',
    path: ['min_price'],
  });
export type SearchRequest = z.input<typeof SearchRequest>;

const FacetValue = z.object({ value: z.string(), label: z.string(), count: z.number().int() });
export const Facets = z.object({
  categories: z.array(FacetValue),
  brands: z.array(FacetValue),
  sizes: z.array(FacetValue),
  colors: z.array(FacetValue),
  price: z.object({ min: Cents, max: Cents }).nullable(),
});
export type Facets = z.infer<typeof Facets>;

export const SearchResult = z.object({
  items: z.array(ProductSummary),
  page_info: PageInfo,
  facets: Facets,
  /** The query after normalisation, for display ("Showing results for …"). */
  query: z.string().nullable(),
});
export type SearchResult = z.infer<typeof SearchResult>;

export const GetProductRequest = z.object({ product_id: Uuid }).strict();

/**
 * What adding to a cart needs of a product: its name, brand, image and variants with price and
 * availability. Lean on purpose: no related products or category (ProductDetail's costly parts).
 */
export const ProductVariants = ProductDetail.pick({ id: true, name: true, brand: true, image_url: true, active: true, variants: true });
export type ProductVariants = z.infer<typeof ProductVariants>;

const VariantIds = z.array(Uuid).max(100);
/** Bulk look-up used by the cart to (re)price lines. Unknown ids are simply absent. */
export const LookupVariantsRequest = z.object({ variant_ids: VariantIds.min(1) }).strict();
export const VariantInfo = z.object({
  ...LineItem.shape,
  price: Cents,
  currency: Currency,
  available: z.number().int().min(0),
  active: z.boolean(),
});
export type VariantInfo = z.infer<typeof VariantInfo>;
export const LookupVariantsResult = z.object({ variants: z.array(VariantInfo) });

/**
 * A product's variants, and the look-up of other variants in the same answer (`with_variant_ids`:
 * the cart's other lines, so an add prices the whole cart with one call to catalog).
 */
export const ProductVariantsRequest = GetProductRequest.extend({ with_variant_ids: VariantIds.optional() }).strict();
export const ProductVariantsResult = ProductVariants.extend({ with_variants: z.array(VariantInfo).optional() });
export type ProductVariantsResult = z.infer<typeof ProductVariantsResult>;

/** One of a product's variants as catalog's look-up reports it. */
export function variantInfoOf(product: ProductVariants, v: Variant): VariantInfo {
  return {
    variant_id: v.id,
    product_id: product.id,
    name: product.name,
    brand: product.brand,
    size: v.size,
    color: v.color,
    image_url: product.image_url,
    price: v.price,
    currency: DEFAULT_CURRENCY,
    available: v.available,
    active: product.active,
  };
}

export const ReservationLine = z.object({ variant_id: Uuid, quantity: z.number().int().min(1).max(999) });
export const ReserveRequest = z
  .object({
    order_id: Uuid,
    lines: z.array(ReservationLine).min(1).max(100),
    ttl_seconds: z.number().int().min(5).max(86_400).optional(),
  })
  .strict();
/** `restocked`: committed stock was put back (an order cancelled after commit). */
export const ReservationStatus = z.enum(['active', 'committed', 'released', 'expired', 'restocked']);
export const Reservation = z.object({
  order_id: Uuid,
  status: ReservationStatus,
  expires_at: IsoDateTime,
  lines: z.array(ReservationLine),
});
export type Reservation = z.infer<typeof Reservation>;
/** OUT_OF_STOCK details: which items are short and how many are available. */
export const ShortageDetail = z.object({
  variant_id: Uuid,
  requested: z.number().int(),
  available: z.number().int(),
  name: z.string().optional(),
  size: z.string().nullable().optional(),
  color: z.string().nullable().optional(),
});
export type ShortageDetail = z.infer<typeof ShortageDetail>;
export const ReservationRef = z.object({ order_id: Uuid }).strict();
/** Holds an order's stock for ttl_seconds more from now (never shortens it). */
export const ExtendReservationRequest = z.object({ order_id: Uuid, ttl_seconds: z.number().int().min(5).max(86_400) }).strict();

/** Product images are generated SVGs; the gateway serves them from this reply. */
export const GetImageRequest = z.object({ product_id: Uuid }).strict();
export const ImageResult = z.object({ svg: z.string() });

/** Items of the raw feed the loader refused (prohibited kinds), with the reason. */
export const RefusedItem = z.object({ id: Uuid, sku: z.string(), name: z.string(), reason: z.string() });
export type RefusedItem = z.infer<typeof RefusedItem>;
export const ListRefusedRequest = z.object({}).strict();
export const RefusedItemsResult = z.object({ items: z.array(RefusedItem) });

/** Operator change of one variant (also used by other services' tests to set prices and stock). */
const VariantChange = {
  price: Cents.optional(),
  stock: z.number().int('must be an integer').min(0, 'must not be negative').max(1_000_000, 'must be at most 1000000').optional(),
};
const changesSomething = (r: { price?: number; stock?: number }) => r.price !== undefined || r.stock !== undefined;
const changesSomethingError = { message: 'must give price or stock', path: ['price'] };
/** HTTP body of PATCH /v1/admin/variants/:id. */
export const UpdateVariantBody = z.object(VariantChange).strict().refine(changesSomething, changesSomethingError);
export const UpdateVariantRequest = z
  .object({ variant_id: Uuid, ...VariantChange })
  .strict()
  .refine(changesSomething, changesSomethingError);

export const catalogApi = {
  search: endpoint('catalog.products.search', SearchRequest, SearchResult),
  get: endpoint('catalog.products.get', GetProductRequest, ProductDetail),
  variants: endpoint('catalog.products.variants', ProductVariantsRequest, ProductVariantsResult),
  lookupVariants: endpoint('catalog.variants.lookup', LookupVariantsRequest, LookupVariantsResult),
  reserve: endpoint('catalog.inventory.reserve', ReserveRequest, Reservation),
  commit: endpoint('catalog.inventory.commit', ReservationRef, Reservation),
  /**
   * Holds a reservation longer: an active one until now + ttl_seconds (or later, if it already
   * was); an expired one is taken again when its stock is still there (OUT_OF_STOCK otherwise). A
   * committed one is answered as it is; a released one is INVALID_TRANSITION.
   */
  extend: endpoint('catalog.inventory.extend', ExtendReservationRequest, Reservation),
  release: endpoint('catalog.inventory.release', ReservationRef, Reservation),
  /** Puts committed stock back (an order cancelled after its stock was committed). */
  restock: endpoint('catalog.inventory.restock', ReservationRef, Reservation),
  getReservation: endpoint('catalog.inventory.get', ReservationRef, Reservation),
  getImage: endpoint('catalog.images.get', GetImageRequest, ImageResult),
  listRefused: endpoint('catalog.refused.list', ListRefusedRequest, RefusedItemsResult),
  updateVariant: endpoint('catalog.admin.variants.update', UpdateVariantRequest, Variant),
};

export const catalogEvents = {
  reserved: 'evt.inventory.reserved',
  committed: 'evt.inventory.committed',
  released: 'evt.inventory.released',
  expired: 'evt.inventory.expired',
  restocked: 'evt.inventory.restocked',
  /** An operator changed a variant's price or stock. */
  variantUpdated: 'evt.inventory.variant_updated',
} as const;
