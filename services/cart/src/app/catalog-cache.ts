import { variantInfoOf, type ProductVariantsResult, type VariantInfo } from '@shop/contracts';
import { metrics } from '@shop/kit';

type ProductVariants = Omit<ProductVariantsResult, 'with_variants'>;

const hits = metrics.catalogCache.cell('hit');
const misses = metrics.catalogCache.cell('miss');

interface Entry<T> {
  value: T;
  at: number;
}

/**
 * What catalog last said about products and variants, so adding to a cart and showing it need not
 * ask again. Kept current by catalog's events (every reservation, commit, release, expiry, restock
 * and operator change names its variants: bus/catalog-events.ts drops them), and never older than
 * `ttlMs` whatever happens to the events. A look-up that started before a drop is not stored, so a
 * reply read before a change cannot outlive the change's event. Placement never reads it: orders'
 * `cart.carts.get` asks catalog, and catalog's reservation checks the stock itself.
 */
export class CatalogCache {
  private readonly products = new Map<string, Entry<ProductVariants>>();
  private readonly variants = new Map<string, Entry<VariantInfo>>();
  private readonly productOf = new Map<string, string>();
  private generation = 0;
  private off = false;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 20_000,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0 && !this.off;
  }

  /** Its events can no longer be heard: from now on every look asks catalog. */
  turnOff(): void {
    this.off = true;
    this.clear();
  }

  /** Taken before asking catalog; a store under an older mark is dropped (something changed meanwhile). */
  mark(): number {
    return this.generation;
  }

  product(productId: string): ProductVariants | undefined {
    return this.fresh(this.products, productId);
  }

  /** The cached infos of those variants (the others are missing from the map). */
  variantInfos(variantIds: Iterable<string>): Map<string, VariantInfo> {
    const found = new Map<string, VariantInfo>();
    for (const id of variantIds) {
      const v = this.fresh(this.variants, id);
      if (v) found.set(id, v);
    }
    return found;
  }

  storeProduct(product: ProductVariants, mark: number): void {
    if (!this.storable(mark)) return;
    const at = this.clock();
    this.products.set(product.id, { value: product, at });
    for (const v of product.variants) this.setVariant(variantInfoOf(product, v), at);
  }

  storeVariants(infos: Iterable<VariantInfo>, mark: number): void {
    if (!this.storable(mark)) return;
    const at = this.clock();
    for (const v of infos) this.setVariant(v, at);
  }

  /** Catalog changed these variants (or their product): everything known of their products goes. */
  dropVariants(variantIds: Iterable<string>, productIds: Iterable<string> = []): void {
    this.generation++;
    const products = new Set(productIds);
    for (const id of variantIds) {
      const product = this.productOf.get(id);
      if (product) products.add(product);
      this.variants.delete(id);
    }
    for (const productId of products) {
      const cached = this.products.get(productId)?.value;
      this.products.delete(productId);
      for (const v of cached?.variants ?? []) this.variants.delete(v.id);
    }
  }

  /** Events may have been missed (a NATS reconnect): nothing cached can be trusted. */
  clear(): void {
    this.generation++;
    this.empty();
  }

  private empty(): void {
    this.products.clear();
    this.variants.clear();
    this.productOf.clear();
  }

  private fresh<T>(map: Map<string, Entry<T>>, key: string): T | undefined {
    if (!this.enabled) return undefined;
    const e = map.get(key);
    if (e && this.clock() - e.at <= this.ttlMs) {
      hits.n++;
      return e.value;
    }
    if (e) map.delete(key);
    misses.n++;
    return undefined;
  }

  /** Nothing changed since the mark; a full cache starts over first (simpler than evicting while keeping the variant → product map whole). */
  private storable(mark: number): boolean {
    if (!this.enabled || mark !== this.generation) return false;
    if (this.products.size >= this.maxEntries || this.productOf.size >= this.maxEntries) this.empty();
    return true;
  }

  private setVariant(v: VariantInfo, at: number): void {
    this.variants.set(v.variant_id, { value: v, at });
    this.productOf.set(v.variant_id, v.product_id);
  }
}
