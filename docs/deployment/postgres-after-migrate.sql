-- Run after `server migrate` (as a superuser or the owner role), with the same variables
-- as postgres-roles.sql. Idempotent, so it may follow every migration:
--
--   psql -v ON_ERROR_STOP=1 -v app=medborgarloften_app -d medborgarloften \
--        -f postgres-after-migrate.sql
--
-- The first migration creates the migration ledger, and the default privileges gave the
-- app role write rights on it like on any table; only the owner may record migrations.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON seaql_migrations FROM :"app";
