-- One service's database and its two roles. Run by a superuser with psql; running it again
-- changes nothing but the passwords.
--   owner  owns the database and every table in it; `<service> migrate` connects as it.
--   app    `<service> serve` connects as it: it may read and write the rows of every table
--          the owner creates, now or in a later migration, and nothing else (no CREATE,
--          ALTER, DROP or TRUNCATE, no temporary tables, no other service's database).
--
--   OWNER_PASSWORD=... APP_PASSWORD=... psql SUPERUSER_URL -v db=orders \
--       -v owner=order_owner -v app=order_app -f scripts/service-database.sql
-- (scripts/service-database wraps this; docker/postgres-init.sh runs it in compose.)
\set ON_ERROR_STOP on
\getenv owner_password OWNER_PASSWORD
\getenv app_password APP_PASSWORD

SELECT format('CREATE ROLE %I', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I', :'app')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';

SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"owner";
-- Nobody else may connect or make temporary tables (PUBLIC may, by default).
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";

\connect :"db"
-- Tables migrated before the owner role existed (an older development database) pass to it,
-- with the sequences of their columns.
SELECT format('ALTER TABLE public.%I OWNER TO %I', tablename, :'owner')
  FROM pg_tables WHERE schemaname = 'public' AND tableowner <> :'owner' \gexec
-- The public schema belongs to the owner role (PostgreSQL 15 gives it to the database's
-- owner, older versions to the superuser); others may only look names up in it.
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- Rows of the tables and sequences the owner creates from now on, and of those it has.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
