import type { Pool, PoolClient } from '@shop/kit';
import type { CategoryRef } from '@shop/contracts';
import type { CategoryDef } from '../domain/feed.js';

type Queryable = Pick<PoolClient, 'query'>;

export interface CategoryRow extends CategoryRef {
  id: number;
  slugs: string[];
}

/** Inserts categories parents-first, computing each one's name path and ancestor slugs. */
export async function insertCategories(tx: Queryable, defs: CategoryDef[]): Promise<Map<string, CategoryRow>> {
  const bySlug = new Map<string, CategoryRow>();
  const pending = [...defs];
  while (pending.length) {
    const ready = pending.filter((d) => d.parentSlug === null || bySlug.has(d.parentSlug));
    if (!ready.length) throw new Error('category tree has a cycle or a missing parent');
    for (const d of ready) {
      pending.splice(pending.indexOf(d), 1);
      const parent = d.parentSlug ? bySlug.get(d.parentSlug)! : null;
      const path = [...(parent?.path ?? []), d.name];
      const slugs = [...(parent?.slugs ?? []), d.slug];
      const { rows } = await tx.query<{ id: number }>(
        'insert into categories (slug, name, parent_id, path, slugs) values ($1, $2, $3, $4, $5) returning id',
        [d.slug, d.name, parent?.id ?? null, path, slugs],
      );
      bySlug.set(d.slug, { id: rows[0].id, slug: d.slug, name: d.name, path, slugs });
    }
  }
  return bySlug;
}

/** The category tree is small and changes only with a seed: it is cached per process. */
export class CategoryCache {
  private byId = new Map<number, CategoryRow>();
  constructor(private readonly pool: Pool) {}

  async refresh(): Promise<void> {
    const { rows } = await this.pool.query<CategoryRow>('select id, slug, name, path, slugs from categories');
    this.byId = new Map(rows.map((r) => [r.id, r]));
  }

  async ref(id: number): Promise<CategoryRef> {
    if (!this.byId.has(id)) await this.refresh();
    const c = this.byId.get(id);
    if (!c) return { slug: 'unknown', name: 'Unknown', path: [] };
    return { slug: c.slug, name: c.name, path: c.path };
  }

  async all(): Promise<CategoryRow[]> {
    if (!this.byId.size) await this.refresh();
    return [...this.byId.values()];
  }
}
