import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Pool } from '@shop/kit';

/** Models whose records belong to a grant: revoking the grant removes them all at once. */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/**
 * oidc-provider's storage in PostgreSQL (table oidc_models): sessions, interactions, grants, codes,
 * tokens and dynamically registered clients, so every instance of the service sees the same state.
 */
export function pgAdapterFactory(pool: Pool) {
  return class PgAdapter implements Adapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
      await pool.query(
        `insert into oidc_models (model, id, payload, grant_id, user_code, uid, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
           user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
        [this.model, id, JSON.stringify(payload), GRANTABLE.has(this.model) || this.model === 'Grant' ? (payload.grantId ?? (this.model === 'Grant' ? id : null)) : null, payload.userCode ?? null, payload.uid ?? null, expiresAt],
      );
    }

    find(id: string) {
      return findWhere(pool, this.model, 'id', id);
    }

    findByUid(uid: string) {
      return findWhere(pool, this.model, 'uid', uid);
    }

    findByUserCode(userCode: string) {
      return findWhere(pool, this.model, 'user_code', userCode);
    }

    async consume(id: string): Promise<void> {
      await pool.query('update oidc_models set consumed_at = now() where model = $1 and id = $2', [this.model, id]);
    }

    async destroy(id: string): Promise<void> {
      await pool.query('delete from oidc_models where model = $1 and id = $2', [this.model, id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await pool.query('delete from oidc_models where grant_id = $1 and model = $2', [grantId, this.model]);
    }
  };
}

async function findWhere(pool: Pool, model: string, column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
  const { rows } = await pool.query<{ payload: AdapterPayload; consumed_at: Date | null }>(
    `select payload, consumed_at from oidc_models where model = $1 and ${column} = $2 and (expires_at is null or expires_at > now())`,
    [model, value],
  );
  const row = rows[0];
  if (!row) return undefined;
  // A consumed code or rotated refresh token must read as consumed: oidc-provider then refuses it (and revokes the grant).
  return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
}

export interface GrantRecord {
  grantId: string;
  clientId: string;
  scopes: string[];
  createdAt: Date;
}

/** An account's grants (its connected apps), newest first. */
export async function listGrants(pool: Pool, accountId: string): Promise<GrantRecord[]> {
  const { rows } = await pool.query<{ id: string; payload: { clientId: string; iat?: number; resources?: Record<string, string>; openid?: { scope?: string } } }>(
    `select id, payload from oidc_models where model = 'Grant' and payload ->> 'accountId' = $1 and (expires_at is null or expires_at > now())
     order by (payload ->> 'iat')::bigint desc nulls last`,
    [accountId],
  );
  return rows.map((r) => {
    const scopes = new Set<string>();
    for (const s of Object.values(r.payload.resources ?? {})) for (const x of s.split(' ').filter(Boolean)) scopes.add(x);
    for (const x of (r.payload.openid?.scope ?? '').split(' ').filter(Boolean)) scopes.add(x);
    return { grantId: r.id, clientId: r.payload.clientId, scopes: [...scopes], createdAt: new Date((r.payload.iat ?? 0) * 1000) };
  });
}

/** Whether this account's grant for this client still exists (not revoked, not expired). */
export async function grantActive(pool: Pool, grantId: string, accountId: string, clientId: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `select 1 from oidc_models where model = 'Grant' and id = $1 and payload ->> 'accountId' = $2 and payload ->> 'clientId' = $3
     and (expires_at is null or expires_at > now())`,
    [grantId, accountId, clientId],
  );
  return rowCount === 1;
}

/** Removes a grant and every code and token issued under it; false when it is not this account's. */
export async function revokeGrant(pool: Pool, accountId: string, grantId: string): Promise<boolean> {
  const { rowCount } = await pool.query(`delete from oidc_models where model = 'Grant' and id = $1 and payload ->> 'accountId' = $2`, [grantId, accountId]);
  if (rowCount !== 1) return false;
  await pool.query('delete from oidc_models where grant_id = $1', [grantId]);
  return true;
}
