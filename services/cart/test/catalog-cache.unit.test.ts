import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { ProductVariantsResult, VariantInfo } from '@shop/contracts';
import { CatalogCache } from '../src/app/catalog-cache.js';

function product(variants = 2): Omit<ProductVariantsResult, 'with_variants'> {
  return {
    id: randomUUID(),
    name: 'Trail Shoe',
    brand: 'Stridewell',
    image_url: 'http://catalog/img.svg',
    active: true,
    variants: Array.from({ length: variants }, (_, i) => ({ id: randomUUID(), sku: `SKU-${i}`, size: String(8 + i), color: null, price: 9_999, stock: 5, reserved: 0, available: 5 })),
  } as Omit<ProductVariantsResult, 'with_variants'>;
}
const info = (productId: string): VariantInfo =>
  ({ variant_id: randomUUID(), product_id: productId, name: 'Mug', brand: 'Kiln', size: null, color: null, image_url: 'x', price: 1_500, currency: 'USD', available: 3, active: true }) as VariantInfo;

describe('the cart’s catalogue cache', () => {
  it('answers what was stored until the TTL passes', () => {
    let now = 0;
    const cache = new CatalogCache(1_000, 100, () => now);
    const p = product();
    cache.storeProduct(p, cache.mark());
    expect(cache.product(p.id)).toEqual(p);
    expect([...cache.variantInfos(p.variants.map((v) => v.id)).keys()]).toEqual(p.variants.map((v) => v.id));
    now = 1_001;
    expect(cache.product(p.id)).toBeUndefined();
    expect(cache.variantInfos(p.variants.map((v) => v.id)).size).toBe(0);
  });

  it('drops a product and all its variants when an event names any one of them', () => {
    const cache = new CatalogCache(60_000);
    const p = product(3);
    const other = product();
    cache.storeProduct(p, cache.mark());
    cache.storeProduct(other, cache.mark());
    cache.dropVariants([p.variants[1].id]);
    expect(cache.product(p.id)).toBeUndefined();
    expect(cache.variantInfos(p.variants.map((v) => v.id)).size).toBe(0);
    expect(cache.product(other.id)).toEqual(other);
    // A variant known only from a cart line's look-up goes with its product too.
    const line = info(other.id);
    cache.storeVariants([line], cache.mark());
    cache.dropVariants([], [other.id]);
    expect(cache.product(other.id)).toBeUndefined();
    expect(cache.variantInfos([line.variant_id]).size).toBe(1); // not a variant of the cached product: dropped by its own id only
    cache.dropVariants([line.variant_id]);
    expect(cache.variantInfos([line.variant_id]).size).toBe(0);
  });

  it('does not store an answer asked for before a change it may predate', () => {
    const cache = new CatalogCache(60_000);
    const p = product();
    const mark = cache.mark();
    cache.dropVariants([randomUUID()]); // an event arrives while catalog's answer is on its way
    cache.storeProduct(p, mark);
    cache.storeVariants([info(p.id)], mark);
    expect(cache.product(p.id)).toBeUndefined();
    cache.storeProduct(p, cache.mark());
    expect(cache.product(p.id)).toEqual(p);
  });

  it('forgets everything when events may have been missed, and is off at TTL 0', () => {
    const cache = new CatalogCache(60_000);
    const p = product();
    cache.storeProduct(p, cache.mark());
    cache.clear();
    expect(cache.product(p.id)).toBeUndefined();
    cache.storeProduct(p, cache.mark());
    cache.turnOff();
    expect(cache.product(p.id)).toBeUndefined();
    cache.storeProduct(p, cache.mark());
    expect(cache.product(p.id)).toBeUndefined();
    const off = new CatalogCache(0);
    off.storeProduct(p, off.mark());
    expect(off.enabled).toBe(false);
    expect(off.product(p.id)).toBeUndefined();
  });

  it('starts over when full instead of growing', () => {
    const cache = new CatalogCache(60_000, 4);
    const products = Array.from({ length: 5 }, () => product(1));
    for (const p of products) cache.storeProduct(p, cache.mark());
    expect(cache.product(products[4].id)).toEqual(products[4]);
    expect(products.filter((p) => cache.product(p.id)).length).toBeLessThanOrEqual(4);
    // What survived a restart is still dropped by its events.
    cache.dropVariants([products[4].variants[0].id]);
    expect(cache.product(products[4].id)).toBeUndefined();
  });
});
