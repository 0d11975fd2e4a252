#!/usr/bin/env bash
# Makes the development CA and PostgreSQL's certificate (for the host names `postgres` and
# `localhost`) in /certs, once (scripts/certs keeps existing files). The key goes to the
# postgres user of the postgres image (uid 999), which reads it only from a 0600 file it
# owns; the CA's key is deleted, so nothing more can be signed with it. The CA certificate
# alone is copied to /ca, the volume the services mount: they never see the server's key.
set -euo pipefail
/checkout/scripts/certs /certs postgres localhost
rm -f /certs/ca.key
chown 999:999 /certs/server.key
chmod 0600 /certs/server.key
cp /certs/ca.crt /ca/ca.crt
chmod 0644 /ca/ca.crt
