import { createHash } from 'node:crypto';

/** Namespace for catalog name-based ids (a fixed random UUID, so ids are stable everywhere). */
const CATALOG_NAMESPACE = 'b7a5c1e2-4f0d-4c9a-8e3b-2d6f1a9c0e47';

/** RFC 4122 version 5 (SHA-1, name-based) UUID: the same name gives the same id on every machine. */
export function nameUuid(name: string, namespace = CATALOG_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const productId = (sku: string) => nameUuid(`product:${sku}`);
export const variantId = (sku: string) => nameUuid(`variant:${sku}`);

/** A small deterministic PRNG (mulberry32) so the generated catalog is identical on every run. */
export function seededRandom(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
