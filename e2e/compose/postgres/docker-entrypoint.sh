#!/bin/bash
# First start: initdb with POSTGRES_USER/POSTGRES_PASSWORD, create POSTGRES_DB, run the
# /docker-entrypoint-initdb.d scripts, accept password logins from the network. Later starts
# reuse the data directory as it is.
set -euo pipefail
if [ "${1:-postgres}" = postgres ] || [ "${1#-}" != "$1" ]; then
  [ "${1:-}" = postgres ] && shift
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" && chown -R postgres:postgres "$PGDATA" /var/run/postgresql && chmod 0700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
  fi
  user=${POSTGRES_USER:-postgres}
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
      echo 'Error: POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)' >&2
      exit 1
    fi
    pwfile=$(mktemp)
    printf '%s' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    initdb -D "$PGDATA" --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host="$auth" >/dev/null
    rm -f "$pwfile"
    printf 'host all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
    db=${POSTGRES_DB:-$user}
    # As the official image: a server on the Unix socket only (nothing on TCP until init is done),
    # POSTGRES_DB created, then /docker-entrypoint-initdb.d in name order: *.sh executed when
    # executable, else sourced; *.sql run through psql; *.sql.gz unzipped into psql. A failing
    # script stops the container (set -e), as there.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    if [ "$db" != postgres ]; then
      psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres -c "create database \"$db\"" >/dev/null
    fi
    export POSTGRES_USER=$user POSTGRES_DB=$db PGUSER=$user
    for f in /docker-entrypoint-initdb.d/*; do
      [ -e "$f" ] || continue
      case "$f" in
        *.sh) echo "docker-entrypoint: running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
        *.sql) echo "docker-entrypoint: running $f"; psql -v ON_ERROR_STOP=1 --username="$user" --dbname="$db" -f "$f" ;;
        *.sql.gz) echo "docker-entrypoint: running $f"; gunzip -c "$f" | psql -v ON_ERROR_STOP=1 --username="$user" --dbname="$db" ;;
        *) echo "docker-entrypoint: ignoring $f" ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  exec postgres -c listen_addresses='*' "$@"
fi
exec "$@"
