import type { SearchResult, Variant } from '@shop/contracts';
import type { Pool } from '@shop/kit';
import type { CatalogConfig } from '../config.js';
import { buildSearchSql, type ParsedSearch } from '../domain/search.js';
import { productSvg } from '../domain/svg.js';
import { CategoryCache } from '../db/categories.js';
import { ProductStore } from '../db/products.js';
import { Reservations } from './reservations.js';

/** The catalogue's use cases (search, images) and its reservations, shared by the NATS handlers and the HTTP routes. */
export class Catalog {
  readonly categories: CategoryCache;
  readonly products: ProductStore;
  readonly reservations: Reservations;

  constructor(
    readonly config: CatalogConfig,
    pool: Pool,
    imageBaseUrl: () => string,
    private readonly eventsWritten: () => void,
  ) {
    this.categories = new CategoryCache(pool);
    this.products = new ProductStore(pool, this.categories, (id) => `${imageBaseUrl()}/${id}.svg`);
    this.reservations = new Reservations(pool, eventsWritten);
  }

  /** Full-text search first; the typo-tolerant trigram form only when that matched nothing. */
  async search(req: ParsedSearch): Promise<SearchResult> {
    const result = await this.products.search(buildSearchSql(req, 'text'));
    if (result.page_info.total > 0 || result.query === null) return result;
    return this.products.search(buildSearchSql(req, 'fuzzy'));
  }

  /** An operator's change of a variant's price or stock; its event tells the carts' catalogue caches. */
  async updateVariant(variantId: string, change: { price?: number; stock?: number }): Promise<Variant> {
    const updated = await this.products.updateVariant(variantId, change);
    this.eventsWritten();
    return updated;
  }

  async image(productId: string): Promise<string> {
    return productSvg(await this.products.imageInput(productId));
  }
}
