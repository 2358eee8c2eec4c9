import pg from 'pg';

/** One service's database and the only role that may use it. */
export interface ServiceDatabase {
  database: string;
  role: string;
  password: string;
}

const identifier = /^[a-z_][a-z0-9_]*$/;

/** Whether the server URL's user can create roles and databases (a superuser URL, like CI's shared postgres). */
export async function canProvisionRoles(adminUrl: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ ok: boolean }>('select rolsuper or (rolcreaterole and rolcreatedb) as ok from pg_roles where rolname = current_user');
    return rows[0]?.ok === true;
  } finally {
    await c.end();
  }
}

/** `adminUrl` with another database, and optionally another user and password. */
export function databaseUrl(adminUrl: string, database: string, login?: { role: string; password: string }): string {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  if (login) {
    u.username = encodeURIComponent(login.role);
    u.password = encodeURIComponent(login.password);
  }
  return u.toString();
}

/**
 * Creates (or brings up to date) a service's login role — no superuser, no CREATEDB/CREATEROLE —
 * and its database, owned by that role, which alone may connect to it. A database made before
 * roles existed (owned by the superuser) is handed over with everything in it, so the service's
 * migrations keep working as its owner.
 */
export async function provisionServiceDatabase(adminUrl: string, s: ServiceDatabase): Promise<void> {
  for (const name of [s.database, s.role]) if (!identifier.test(name)) throw new Error(`"${name}" must be a lower-case SQL identifier`);
  const c = new pg.Client({ connectionString: databaseUrl(adminUrl, 'postgres') });
  await c.connect();
  try {
    const attrs = `login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password ${c.escapeLiteral(s.password)}`;
    const role = await c.query('select 1 from pg_roles where rolname = $1', [s.role]);
    if (role.rowCount === 0) {
      await c.query(`create role "${s.role}" ${attrs}`).catch((e) => {
        // Another launcher created it meanwhile; the alter below sets the same attributes.
        if ((e as { code?: string }).code !== '42710') throw e;
      });
    }
    await c.query(`alter role "${s.role}" ${attrs}`);
    const db = await c.query('select 1 from pg_database where datname = $1', [s.database]);
    if (db.rowCount === 0) {
      await c.query(`create database "${s.database}" owner "${s.role}"`).catch((e) => {
        if ((e as { code?: string }).code !== '42P04') throw e;
      });
    }
    await c.query(`alter database "${s.database}" owner to "${s.role}"`);
    await c.query(`revoke all on database "${s.database}" from public`);
  } finally {
    await c.end();
  }
  await transferOwnership(databaseUrl(adminUrl, s.database), s.role);
}

/**
 * Gives `role` the schemas, tables, views, sequences, routines and types in the database that
 * another role owns (extension members and objects that follow their table excluded).
 */
async function transferOwnership(url: string, role: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`select set_config('shop.owner', $1, false)`, [role]);
    await c.query(`
      do $$
      declare
        target text := current_setting('shop.owner');
        target_oid oid := (select oid from pg_roles where rolname = current_setting('shop.owner'));
        r record;
      begin
        for r in
          select n.nspname from pg_namespace n
          where n.nspname !~ '^pg_' and n.nspname not in ('information_schema', 'public') and n.nspowner <> target_oid
            and not exists (select 1 from pg_depend d where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')
        loop
          execute format('alter schema %I owner to %I', r.nspname, target);
        end loop;
        for r in
          select c.oid::regclass::text as obj, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and c.relowner <> target_oid
            and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('e', 'a', 'i'))
        loop
          execute format('alter %s %s owner to %I',
            case r.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table' else 'table' end,
            r.obj, target);
        end loop;
        for r in
          select p.oid::regprocedure::text as obj from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' and p.proowner <> target_oid
            and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        loop
          execute format('alter routine %s owner to %I', r.obj, target);
        end loop;
        for r in
          select t.oid::regtype::text as obj, t.typtype from pg_type t join pg_namespace n on n.oid = t.typnamespace
          where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' and t.typowner <> target_oid
            and (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and (select relkind from pg_class where oid = t.typrelid) = 'c'))
            and not exists (select 1 from pg_depend d where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype in ('e', 'i'))
        loop
          execute format('alter %s %s owner to %I', case r.typtype when 'd' then 'domain' else 'type' end, r.obj, target);
        end loop;
      end $$`);
  } finally {
    await c.end();
  }
}

/** Drops a throwaway role (fresh stacks), after its database is gone. */
export async function dropServiceRole(adminUrl: string, role: string): Promise<void> {
  if (!identifier.test(role)) return;
  const c = new pg.Client({ connectionString: databaseUrl(adminUrl, 'postgres') });
  await c.connect();
  try {
    await c.query(`drop role if exists "${role}"`);
  } finally {
    await c.end();
  }
}
