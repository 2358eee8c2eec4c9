import { randomUUID } from 'node:crypto';
import type { Address, Customer, SavedAddress } from '@shop/contracts';
import type { Pool, PoolClient } from '@shop/kit';

type Queryable = Pool | PoolClient;

export interface CustomerRow {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  password_failures: number;
  password_locked_until: Date | null;
  created_at: Date;
}

interface AddressRow {
  id: string;
  customer_id: string;
  address: Address;
  is_default: boolean;
  created_at: Date;
}

export function renderAddress(r: AddressRow): SavedAddress {
  return { id: r.id, is_default: r.is_default, address: r.address, created_at: r.created_at.toISOString() };
}

export function renderCustomer(c: CustomerRow, defaultAddress: SavedAddress | null): Customer {
  return { id: c.id, email: c.email, name: c.name, has_password: c.password_hash !== null, default_address: defaultAddress, created_at: c.created_at.toISOString() };
}

export async function findCustomer(db: Queryable, id: string): Promise<CustomerRow | undefined> {
  const { rows } = await db.query<CustomerRow>('select * from customers where id = $1', [id]);
  return rows[0];
}

export async function findCustomerByEmail(db: Queryable, email: string): Promise<CustomerRow | undefined> {
  const { rows } = await db.query<CustomerRow>('select * from customers where email = $1', [email]);
  return rows[0];
}

/** Inserts the customer, or returns the one that already has this e-mail address (two confirmations racing). */
export async function insertCustomer(db: Queryable, email: string, name: string): Promise<{ customer: CustomerRow; created: boolean }> {
  const { rows } = await db.query<CustomerRow>('insert into customers (id, email, name) values ($1, $2, $3) on conflict (email) do nothing returning *', [randomUUID(), email, name]);
  if (rows[0]) return { customer: rows[0], created: true };
  return { customer: (await findCustomerByEmail(db, email))!, created: false };
}

export async function updateCustomerName(db: Queryable, id: string, name: string): Promise<void> {
  await db.query('update customers set name = $2, updated_at = now() where id = $1', [id, name]);
}

export async function setPasswordHash(db: Queryable, id: string, hash: string | null): Promise<void> {
  await db.query('update customers set password_hash = $2, password_failures = 0, password_locked_until = null, updated_at = now() where id = $1', [id, hash]);
}

/** Counts a wrong password; the max-th in a row locks password sign-in until `lockUntil`. */
export async function recordPasswordFailure(db: Queryable, id: string, max: number, lockUntil: Date): Promise<void> {
  await db.query(
    `update customers set password_failures = password_failures + 1,
       password_locked_until = case when password_failures + 1 >= $2 then $3 else password_locked_until end
     where id = $1`,
    [id, max, lockUntil],
  );
}

export async function clearPasswordFailures(db: Queryable, id: string): Promise<void> {
  await db.query('update customers set password_failures = 0, password_locked_until = null where id = $1', [id]);
}

export async function listAddresses(db: Queryable, customerId: string): Promise<SavedAddress[]> {
  const { rows } = await db.query<AddressRow>('select * from addresses where customer_id = $1 order by is_default desc, created_at, id', [customerId]);
  return rows.map(renderAddress);
}

export async function defaultAddress(db: Queryable, customerId: string): Promise<SavedAddress | null> {
  const { rows } = await db.query<AddressRow>('select * from addresses where customer_id = $1 and is_default', [customerId]);
  return rows[0] ? renderAddress(rows[0]) : null;
}

export async function countAddresses(db: Queryable, customerId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from addresses where customer_id = $1', [customerId]);
  return rows[0].n;
}

export async function insertAddress(db: Queryable, customerId: string, address: Address, isDefault: boolean): Promise<SavedAddress> {
  const { rows } = await db.query<AddressRow>('insert into addresses (id, customer_id, address, is_default) values ($1, $2, $3, $4) returning *', [randomUUID(), customerId, JSON.stringify(address), isDefault]);
  return renderAddress(rows[0]);
}

export async function clearDefaultAddress(db: Queryable, customerId: string): Promise<void> {
  await db.query('update addresses set is_default = false where customer_id = $1 and is_default', [customerId]);
}

/** Makes one of the customer's addresses the default; false when it is not theirs. */
export async function markDefaultAddress(db: Queryable, customerId: string, addressId: string): Promise<boolean> {
  const { rowCount } = await db.query('update addresses set is_default = true where customer_id = $1 and id = $2', [customerId, addressId]);
  return rowCount === 1;
}

export async function deleteAddress(db: Queryable, customerId: string, addressId: string): Promise<{ deleted: boolean; wasDefault: boolean }> {
  const { rows } = await db.query<{ is_default: boolean }>('delete from addresses where customer_id = $1 and id = $2 returning is_default', [customerId, addressId]);
  return { deleted: rows.length === 1, wasDefault: rows[0]?.is_default ?? false };
}

/** The oldest remaining address becomes the default (after the default was removed). */
export async function promoteOldestAddress(db: Queryable, customerId: string): Promise<void> {
  await db.query('update addresses set is_default = true where id = (select id from addresses where customer_id = $1 order by created_at, id limit 1)', [customerId]);
}

export interface CodeRow {
  id: string;
  email: string;
  purpose: 'sign_in' | 'sign_up';
  name: string | null;
  code_hash: string;
  attempts: number;
  expires_at: Date;
  consumed_at: Date | null;
}

export async function countRecentCodes(db: Queryable, email: string, since: Date): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from sign_in_codes where email = $1 and created_at > $2', [email, since]);
  return rows[0].n;
}

export async function insertCode(db: Queryable, row: Omit<CodeRow, 'attempts' | 'consumed_at'>): Promise<void> {
  await db.query('insert into sign_in_codes (id, email, purpose, name, code_hash, expires_at) values ($1, $2, $3, $4, $5, $6)', [row.id, row.email, row.purpose, row.name, row.code_hash, row.expires_at]);
}

/** Locks the code row for the attempt, so two attempts at once cannot both pass the count. */
export async function lockCode(db: PoolClient, id: string): Promise<CodeRow | undefined> {
  const { rows } = await db.query<CodeRow>('select * from sign_in_codes where id = $1 for update', [id]);
  return rows[0];
}

export async function countAttempt(db: Queryable, id: string): Promise<void> {
  await db.query('update sign_in_codes set attempts = attempts + 1 where id = $1', [id]);
}

export async function consumeCode(db: Queryable, id: string): Promise<void> {
  await db.query('update sign_in_codes set consumed_at = now(), attempts = attempts + 1 where id = $1', [id]);
}

export async function insertSession(db: Queryable, idHash: string, customerId: string, expiresAt: Date): Promise<void> {
  await db.query('insert into account_sessions (id_hash, customer_id, expires_at) values ($1, $2, $3)', [idHash, customerId, expiresAt]);
}

export async function findSession(db: Queryable, idHash: string): Promise<{ customer_id: string } | undefined> {
  const { rows } = await db.query<{ customer_id: string }>('select customer_id from account_sessions where id_hash = $1 and expires_at > now()', [idHash]);
  return rows[0];
}

export async function deleteSession(db: Queryable, idHash: string): Promise<void> {
  await db.query('delete from account_sessions where id_hash = $1', [idHash]);
}

/** Deletes what has expired; returns how many rows of each kind went. */
export async function sweepExpired(db: Queryable): Promise<{ codes: number; sessions: number; oauth: number }> {
  const codes = await db.query("delete from sign_in_codes where expires_at < now() - interval '1 day'");
  const sessions = await db.query('delete from account_sessions where expires_at < now()');
  const oauth = await db.query('delete from oidc_models where expires_at < now()');
  return { codes: codes.rowCount ?? 0, sessions: sessions.rowCount ?? 0, oauth: oauth.rowCount ?? 0 };
}
