import type { PoolClient } from '@shop/kit';

export interface LockedVariant {
  id: string;
  product_id: string;
  name: string;
  size: string | null;
  color: string | null;
  price: number;
  stock: number;
  reserved: number;
  active: boolean;
}

/**
 * Locks the products of the given variants, then the variants, each in id order. Every writer of
 * stock goes through here, and the variants trigger updates the product row, so one global lock
 * order (product ids, then variant ids) rules out deadlocks between concurrent reservations.
 */
export async function lockProductsAndVariants(tx: Pick<PoolClient, 'query'>, variantIds: string[]): Promise<Map<string, LockedVariant>> {
  await tx.query(
    `select p.id from products p
     where p.id in (select product_id from variants where id = any($1::uuid[]))
     order by p.id for update of p`,
    [variantIds],
  );
  const { rows } = await tx.query<LockedVariant>(
    `select v.id, v.product_id, p.name, v.size, v.color, v.price, v.stock, v.reserved, p.active
     from variants v join products p on p.id = v.product_id
     where v.id = any($1::uuid[]) order by v.id for update of v`,
    [variantIds],
  );
  return new Map(rows.map((r) => [r.id, r]));
}
