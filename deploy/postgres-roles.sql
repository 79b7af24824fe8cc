-- PostgreSQL for the front door: run once, as a superuser, before the first migration.
--   psql -v owner_password="'...'" -v app_password="'...'" -f deploy/postgres-roles.sql
-- mash_owner owns the database and runs the migrations (MIGRATION_DATABASE_URL); mash_app is the
-- app's role (DATABASE_URL, DATABASE_APP_ROLE=mash_app): it owns nothing, and after each migration
-- is granted what the app needs and no more (api/grants.py): no UPDATE, DELETE or TRUNCATE on the
-- audit trail and the access log, and it cannot alter or drop their append-only triggers.
CREATE ROLE mash_owner LOGIN PASSWORD :owner_password;
CREATE ROLE mash_app LOGIN PASSWORD :app_password NOCREATEDB NOCREATEROLE NOSUPERUSER;
CREATE DATABASE mash OWNER mash_owner;
