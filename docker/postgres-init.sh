#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is first created (docker-entrypoint-initdb.d): one
# database per service, each with the role that owns its tables (the migrate steps connect
# as it) and its runtime role (the services connect as it), as scripts/service-database.sql
# describes; then client authentication that wants TLS and a password over the network.
set -euo pipefail

for svc in order voucher; do
    upper=${svc^^}
    owner_password=${upper}_OWNER_DB_PASSWORD app_password=${upper}_APP_DB_PASSWORD
    OWNER_PASSWORD=${!owner_password} APP_PASSWORD=${!app_password} \
        psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
            -v db="${svc}s" -v owner="${svc}_owner" -v app="${svc}_app" \
            -f /checkout/service-database.sql
done

cat >"$PGDATA/pg_hba.conf" <<HBA
# Written by docker/postgres-init.sh: the socket inside the container is trusted (the
# entrypoint uses it); over the network, TLS and a password, and never the superuser (a
# service's container that is taken over gets no further than its own roles).
local     all  all                trust
hostnossl all  all           all  reject
hostssl   all  "$POSTGRES_USER"  all  reject
hostssl   all  all           all  scram-sha-256
HBA
