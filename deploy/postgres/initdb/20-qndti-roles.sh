#!/usr/bin/env bash
# The service's database roles, with passwords read from secret files. The database image runs this on its first
# start; it is idempotent, so it can also be run by hand against an existing server (as a superuser):
#   POSTGRES_USER=postgres POSTGRES_DB=qndti APP_DB_PASSWORD_FILE=… GRAFANA_READER_PASSWORD_FILE=… \
#     [WORKER_DB_PASSWORD_FILE=…] ./20-qndti-roles.sh
#
#   qndti_app       owns schema dti; `qndti db migrate` uses it. It administers the two roles below (to comment
#                   on them and grant them the public views) without being either of them.
#   grafana_reader  may only read the public views of dti (granted by the migrations), read-only, 30 s statements.
#   qndti_writer    NOLOGIN; writes the worker's tables (granted by the migrations), owns nothing.
#   qndti_worker    with WORKER_DB_PASSWORD_FILE only: the workers' login, a member of qndti_writer and nothing
#                   more (elsewhere `qndti db grant-writer` makes such a login).
set -euo pipefail

app_password="$(cat "${APP_DB_PASSWORD_FILE:?path of the qndti_app password file}")"
reader_password="$(cat "${GRAFANA_READER_PASSWORD_FILE:?path of the grafana_reader password file}")"
worker=()
if [[ -n "${WORKER_DB_PASSWORD_FILE:-}" ]]; then
  worker=(-v worker_password="$(cat "$WORKER_DB_PASSWORD_FILE")")
fi

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:?}" --dbname "${POSTGRES_DB:?}" \
  ${PGHOST:+--host "$PGHOST"} ${PGPORT:+--port "$PGPORT"} \
  -v app_password="$app_password" -v reader_password="$reader_password" "${worker[@]}" <<'SQL'
SELECT 'CREATE ROLE qndti_app LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qndti_app') \gexec
SELECT 'CREATE ROLE grafana_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT CONNECTION LIMIT 20'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana_reader') \gexec
SELECT 'CREATE ROLE qndti_writer NOLOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qndti_writer') \gexec
SELECT current_setting('server_version_num')::int >= 160000 AS grant_options \gset
\if :grant_options
GRANT grafana_reader, qndti_writer TO qndti_app WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;
\else
-- PostgreSQL 15 has no INHERIT or SET options on a grant: qndti_app also gets the rights of both roles, all of
-- which it has already as the owner of schema dti.
GRANT grafana_reader, qndti_writer TO qndti_app WITH ADMIN OPTION;
\endif
COMMENT ON ROLE grafana_reader IS 'Chỉ đọc các view công khai của dti / read-only access to the public views of dti';
COMMENT ON ROLE qndti_writer IS 'Ghi các bảng chuỗi thời gian của dti / writes the time-series tables of dti';
-- The migrations may have made grafana_reader first (NOLOGIN): set its attributes whichever came first.
ALTER ROLE qndti_app LOGIN;
ALTER ROLE grafana_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT CONNECTION LIMIT 20;
ALTER ROLE qndti_app PASSWORD :'app_password';
ALTER ROLE grafana_reader PASSWORD :'reader_password';
ALTER ROLE grafana_reader SET default_transaction_read_only = on;
ALTER ROLE grafana_reader SET statement_timeout = '30s';

REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT, TEMPORARY, CREATE ON DATABASE :"DBNAME" TO qndti_app;
GRANT CONNECT ON DATABASE :"DBNAME" TO grafana_reader;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- yoyo keeps its bookkeeping tables in public.
GRANT USAGE, CREATE ON SCHEMA public TO qndti_app;

CREATE SCHEMA IF NOT EXISTS dti AUTHORIZATION qndti_app;
GRANT USAGE ON SCHEMA dti TO grafana_reader;

-- The workers' login: the rights of qndti_writer, a connection, temporary staging tables; no DDL anywhere.
\if :{?worker_password}
SELECT 'CREATE ROLE qndti_worker LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qndti_worker') \gexec
ALTER ROLE qndti_worker LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT;
ALTER ROLE qndti_worker PASSWORD :'worker_password';
GRANT qndti_writer TO qndti_worker;
GRANT CONNECT, TEMPORARY ON DATABASE :"DBNAME" TO qndti_worker;
\endif
SQL
