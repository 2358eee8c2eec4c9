import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, type Stack } from '@shop/launcher';
import { startSecuredStack } from './stack.js';

let secured: Awaited<ReturnType<typeof startSecuredStack>>;
let stack: Stack;

beforeAll(async () => {
  secured = await startSecuredStack();
  stack = secured.stack;
});

afterAll(async () => {
  await secured?.stop();
});

/** Runs fn on a connection to url, or returns the connection error's SQLSTATE (or message). */
async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T | { refused: string }> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
  } catch (e) {
    return { refused: (e as { code?: string }).code ?? (e as Error).message };
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('PostgreSQL: one role per service', () => {
  it('gives every database service its own role in DATABASE_URL, never the superuser; the gateway none', () => {
    const services = [...stack.processes.values()];
    for (const p of services) {
      if (!p.spec.database) {
        expect(p.env.DATABASE_URL).toBeUndefined();
        continue;
      }
      const role = stack.databaseRoles.get(p.spec.database)!;
      const url = new URL(p.env.DATABASE_URL!);
      expect(decodeURIComponent(url.username)).toBe(role.role);
      expect(url.username).not.toBe('postgres');
      expect(url.pathname).toBe(`/${role.database}`);
    }
    expect(stack.databaseRoles.size).toBe(services.filter((p) => p.spec.database).length);
  });

  it('each role is no superuser, cannot create roles or databases, and owns everything in its database', async () => {
    for (const role of stack.databaseRoles.values()) {
      const result = await withClient(databaseUrl(stack.infra.databaseUrl, role.database, role), async (c) => {
        const attrs = (await c.query('select rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls from pg_roles where rolname = current_user')).rows[0];
        const foreign = (await c.query(`select tablename, tableowner from pg_tables where schemaname = 'public' and tableowner <> current_user`)).rows;
        const kit = (await c.query(`select tableowner from pg_tables where schemaname = 'public' and tablename = 'kit_migrations'`)).rows;
        const createDb = await c.query('create database should_not_exist').then(
          () => 'created',
          (e) => (e as { code: string }).code,
        );
        return { attrs, foreign, kit, createDb };
      });
      expect(result, role.role).toEqual({
        attrs: { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false },
        foreign: [],
        kit: [{ tableowner: role.role }],
        createDb: '42501',
      });
    }
  });

  it('no role can connect to another service’s database', async () => {
    const roles = [...stack.databaseRoles.values()];
    for (const role of roles) {
      for (const other of roles.filter((r) => r !== role)) {
        const outcome = await withClient(databaseUrl(stack.infra.databaseUrl, other.database, role), async () => 'connected');
        // 42501: permission denied for database (CONNECT was revoked from PUBLIC).
        expect({ role: role.role, db: other.database, outcome }).toEqual({ role: role.role, db: other.database, outcome: { refused: '42501' } });
      }
    }
  });

  it('refuses a wrong password and the old fixed superuser password', async () => {
    const [role] = [...stack.databaseRoles.values()];
    expect(await withClient(databaseUrl(stack.infra.databaseUrl, role!.database, { role: role!.role, password: 'wrong' }), async () => 'connected')).toEqual({ refused: '28P01' });
    expect(await withClient(databaseUrl(stack.infra.databaseUrl, 'postgres', { role: 'postgres', password: 'postgres' }), async () => 'connected')).toEqual({ refused: '28P01' });
  });

  it('the embedded server listens on 127.0.0.1 only, with SCRAM password authentication for every rule', async () => {
    const result = await withClient(stack.infra.databaseUrl, async (c) => ({
      listen: (await c.query('show listen_addresses')).rows[0].listen_addresses,
      methods: (await c.query('select distinct auth_method from pg_hba_file_rules')).rows.map((r) => r.auth_method),
    }));
    expect(result).toEqual({ listen: '127.0.0.1', methods: ['scram-sha-256'] });
  });
});
