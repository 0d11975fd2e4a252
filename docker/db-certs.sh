#!/usr/bin/env bash
# Makes the development CA and PostgreSQL's certificate (for the host names `postgres` and
# `localhost`) in /certs, once (scripts/certs keeps existing files). The key goes to the
# postgres user of the postgres image (uid 999), which reads it only from a 0600 file it
# owns; the CA's key is deleted, so nothing more can be signed with it.
set -euo pipefail
/checkout/scripts/certs /certs postgres localhost
rm -f /certs/ca.key
chown 999:999 /certs/server.key
chmod 0600 /certs/server.key
