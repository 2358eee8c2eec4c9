import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { BaseConfig, loadConfig } from '@shop/kit';

export const CatalogConfig = BaseConfig.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(4101),
  /**
   * Searches are CPU-bound statements: more of them at once than about twice the cores only share
   * the CPU, and the slowest wait far longer (measured on 2 cores at 64 concurrent searches: p99
   * 4.7 s with 10 connections, 0.9 s with 3). Waiting for a connection is first come, first served.
   */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(Math.max(2, 2 * availableParallelism())),
  /** `sample` seeds the demo store when the products table is empty; `none` leaves it empty. */
  CATALOG_SEED: z.enum(['sample', 'none']).default('sample'),
  RESERVATION_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  RESERVATION_SWEEP_MS: z.coerce.number().int().min(50).max(600_000).default(5_000),
  /** Where product images are served from; defaults to this service's own /v1/images. */
  IMAGE_BASE_URL: z.string().url('must be an http(s) URL').optional(),
});
export type CatalogConfig = z.infer<typeof CatalogConfig>;

export function loadCatalogConfig(env: Record<string, string | undefined>): CatalogConfig {
  return loadConfig(CatalogConfig, env, { productionSecrets: ['API_TOKENS'] });
}
