#!/usr/bin/env bash
# /docker-entrypoint-initdb.d script (runs once, on an empty data directory, as POSTGRES_USER):
# one login role and one database per service, as the launcher does (packages/launcher/src/db-roles.ts).
# Each role owns its database and nothing else; no other role may connect to it. Passwords come
# from POSTGRES_PASSWORD_<DB>; a missing one stops the initialisation (fail closed).
set -euo pipefail
for db in catalog cart payments orders accounts; do
  var="POSTGRES_PASSWORD_${db^^}"
  pw="${!var:-}"
  if [ -z "$pw" ]; then
    echo "postgres-init: $var is not set (the password of role $db)" >&2
    exit 1
  fi
  # psql variables quote the name (:"db") and the password (:'pw'): no SQL built from strings.
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres -v db="$db" -v pw="$pw" <<'SQL'
create role :"db" login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password :'pw';
create database :"db" owner :"db";
revoke all on database :"db" from public;
SQL
done
