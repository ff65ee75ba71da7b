-- Least-privilege PostgreSQL setup for the medborgarlöften service (docs/deployment.md).
-- Run once as a superuser with psql, giving the names and passwords as variables:
--
--   psql -v ON_ERROR_STOP=1 -v db=medborgarloften \
--        -v owner=medborgarloften_owner -v owner_password='…' \
--        -v app=medborgarloften_app -v app_password='…' \
--        -f postgres-roles.sql
--
-- The owner role owns the schema and is used only by `server migrate`. The app role,
-- which the running service uses, may read and write rows but not create, alter, drop
-- or truncate tables. A test (tests/tests/deployment.rs) runs this file.

CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"db" OWNER :"owner";

\connect :"db"

REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"owner", :"app";

-- PostgreSQL 15 already keeps CREATE on the public schema from PUBLIC; older versions
-- do not, so say it.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO :"owner";
GRANT USAGE ON SCHEMA public TO :"app";

-- Tables and sequences that migrations create later get the app's rights at once.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";

-- For a database migrated before this file ran: the rights on what exists already.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
