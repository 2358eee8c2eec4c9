import { AppError, catalogEvents, DEFAULT_CURRENCY, pageInfo, type ProductDetail, type ProductSummary, type ProductVariants, type RefusedItem, type SearchResult, type Variant, type VariantInfo } from '@shop/contracts';
import { publishEvent, withTransaction, type Pool } from '@shop/kit';
import type { SearchSql } from '../domain/search.js';
import { availableOf } from '../domain/inventory.js';
import type { CategoryCache } from './categories.js';
import { lockProductsAndVariants } from './locks.js';

/** The columns a product summary is built from (as SQL rows or search JSON). */
interface SummaryRow {
  id: string;
  name: string;
  brand: string;
  category_id: number;
  price: number;
  price_max: number;
  rating: number | string;
  review_count: number;
  available: number;
  sizes: string[];
  colors: string[];
  tags: string[];
}

const summaryColumns = 'id, name, brand, category_id, price, price_max, rating, review_count, available, sizes, colors, tags';

interface VariantRow {
  id: string;
  sku: string;
  size: string | null;
  color: string | null;
  price: number;
  stock: number;
  reserved: number;
}

export function toVariant(v: VariantRow): Variant {
  const available = availableOf(v);
  return { id: v.id, sku: v.sku, size: v.size, color: v.color, price: v.price, stock: v.stock, available, in_stock: available > 0 };
}

export class ProductStore {
  constructor(
    private readonly pool: Pool,
    private readonly categories: CategoryCache,
    private readonly imageUrl: (productId: string) => string,
  ) {}

  private async summary(r: SummaryRow): Promise<ProductSummary> {
    return {
      id: r.id,
      name: r.name,
      brand: r.brand,
      category: await this.categories.ref(r.category_id),
      price: r.price,
      price_max: r.price_max,
      currency: DEFAULT_CURRENCY,
      rating: Number(r.rating),
      review_count: r.review_count,
      image_url: this.imageUrl(r.id),
      in_stock: r.available > 0,
      available: r.available,
      sizes: r.sizes,
      colors: r.colors,
      tags: r.tags,
    };
  }

  async search(sql: SearchSql): Promise<SearchResult> {
    const { rows } = await this.pool.query({ name: sql.name, text: sql.text, values: sql.values });
    const r = rows[0] as {
      total: number;
      items: SummaryRow[];
      categories: SearchResult['facets']['categories'];
      brands: SearchResult['facets']['brands'];
      sizes: SearchResult['facets']['sizes'];
      colors: SearchResult['facets']['colors'];
      price_min: number | null;
      price_max: number | null;
    };
    return {
      items: await Promise.all(r.items.map((i) => this.summary(i))),
      page_info: pageInfo(sql.page, sql.perPage, r.total),
      facets: {
        categories: r.categories,
        brands: r.brands,
        sizes: r.sizes,
        colors: r.colors,
        price: r.price_min === null || r.price_max === null ? null : { min: r.price_min, max: r.price_max },
      },
      query: sql.query,
    };
  }

  /** A refused feed item answers PROHIBITED_ITEM with its reason; an unknown id PRODUCT_NOT_FOUND. */
  async notFound(productId: string): Promise<AppError> {
    const refused = await this.pool.query<{ name: string; reason: string }>({ text: 'select name, reason from refused_items where id = $1', values: [productId] });
    if (refused.rows[0]) return new AppError('PROHIBITED_ITEM', `${refused.rows[0].name} cannot be sold here. ${refused.rows[0].reason}`, { product_id: productId, reason: refused.rows[0].reason });
    return new AppError('PRODUCT_NOT_FOUND', 'That product does not exist.', { product_id: productId });
  }

  async get(productId: string): Promise<ProductDetail> {
    const { rows } = await this.pool.query<SummaryRow & { description: string; active: boolean; created_at: Date; updated_at: Date; brand_lc: string }>({
      text: `select ${summaryColumns}, description, active, created_at, updated_at, brand_lc from products where id = $1`,
      values: [productId],
    });
    const p = rows[0];
    if (!p) throw await this.notFound(productId);
    const [variants, related] = await Promise.all([
      this.pool.query<VariantRow>({ text: 'select id, sku, size, color, price, stock, reserved from variants where product_id = $1 order by color nulls first, sku', values: [productId] }),
      this.pool.query<SummaryRow>({
        // Same category first, then same brand; each branch walks its partial index and stops at 6.
        text: `(select ${summaryColumns} from products
                where active and available > 0 and id <> $1 and category_id = $2
                order by rating desc, review_count desc, id limit 6)
               union all
               (select ${summaryColumns} from products
                where active and available > 0 and id <> $1 and brand_lc = $3 and category_id <> $2
                order by rating desc, review_count desc, id limit 6)
               limit 6`,
        values: [productId, p.category_id, p.brand_lc],
      }),
    ]);
    return {
      ...(await this.summary(p)),
      description: p.description,
      active: p.active,
      variants: variants.rows.map(toVariant),
      related: await Promise.all(related.rows.map((r) => this.summary(r))),
      created_at: p.created_at.toISOString(),
      updated_at: p.updated_at.toISOString(),
    };
  }

  /** A product's variants for adding to a cart: one round trip, no related products. */
  async variantsOf(productId: string): Promise<ProductVariants> {
    const { rows } = await this.pool.query<VariantRow & { product_id: string; name: string; brand: string; active: boolean }>({
      text: `select p.id product_id, p.name, p.brand, p.active, v.id, v.sku, v.size, v.color, v.price, v.stock, v.reserved
             from products p left join variants v on v.product_id = p.id
             where p.id = $1 order by v.color nulls first, v.sku`,
      values: [productId],
    });
    const p = rows[0];
    if (!p) throw await this.notFound(productId);
    return {
      id: p.product_id,
      name: p.name,
      brand: p.brand,
      image_url: this.imageUrl(p.product_id),
      active: p.active,
      // A product without variants comes back as one row of nulls from the outer join.
      variants: rows.filter((r) => r.id !== null).map(toVariant),
    };
  }

  async lookupVariants(ids: string[]): Promise<VariantInfo[]> {
    const { rows } = await this.pool.query<{ variant_id: string; product_id: string; name: string; brand: string; size: string | null; color: string | null; price: number; stock: number; reserved: number; active: boolean }>({
      text: `select v.id variant_id, p.id product_id, p.name, p.brand, v.size, v.color, v.price, v.stock, v.reserved, p.active
             from variants v join products p on p.id = v.product_id where v.id = any($1::uuid[])`,
      values: [[...new Set(ids)]],
    });
    return rows.map((r) => ({
      variant_id: r.variant_id,
      product_id: r.product_id,
      name: r.name,
      brand: r.brand,
      size: r.size,
      color: r.color,
      image_url: this.imageUrl(r.product_id),
      price: r.price,
      currency: DEFAULT_CURRENCY,
      available: availableOf(r),
      active: r.active,
    }));
  }

  async refusedItems(): Promise<RefusedItem[]> {
    const { rows } = await this.pool.query<RefusedItem>('select id, sku, name, reason from refused_items order by name');
    return rows;
  }

  /** What the image generator needs; PRODUCT_NOT_FOUND / PROHIBITED_ITEM when there is no such product. */
  async imageInput(productId: string): Promise<{ name: string; brand: string; rootCategory: string; color: string | null }> {
    const { rows } = await this.pool.query<{ name: string; brand: string; root: string; color: string | null }>({
      text: `select p.name, p.brand, p.category_slugs[1] root, p.colors[1] color from products p where p.id = $1`,
      values: [productId],
    });
    if (!rows[0]) throw await this.notFound(productId);
    return { name: rows[0].name, brand: rows[0].brand, rootCategory: rows[0].root, color: rows[0].color };
  }

  /** Operator change of price and/or stock, with its event. Stock may not drop below what active reservations hold. */
  async updateVariant(variantId: string, change: { price?: number; stock?: number }): Promise<Variant> {
    return withTransaction(this.pool, async (tx) => {
      const locked = await lockProductsAndVariants(tx, [variantId]);
      const v = locked.get(variantId);
      if (!v) throw new AppError('VARIANT_NOT_FOUND', 'That variant does not exist.', { variant_id: variantId });
      if (change.stock !== undefined && change.stock < v.reserved) {
        throw new AppError('INVALID_INPUT', `Invalid stock: must be at least ${v.reserved}, the units held by active reservations`, {
          issues: [{ field: 'stock', rule: 'too_small', message: `must be at least ${v.reserved} (reserved units)` }],
        });
      }
      const { rows } = await tx.query<VariantRow>(
        `update variants set price = coalesce($2, price), stock = coalesce($3, stock), updated_at = now()
         where id = $1 returning id, sku, size, color, price, stock, reserved`,
        [variantId, change.price ?? null, change.stock ?? null],
      );
      const updated = rows[0];
      await publishEvent(tx, { subject: catalogEvents.variantUpdated, data: { product_id: v.product_id, variant_id: updated.id, price: updated.price, stock: updated.stock } });
      return toVariant(updated);
    });
  }
}
