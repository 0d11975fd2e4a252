# Builds both services; pick one with `--target order` or `--target voucher`.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bins \
    && mkdir -p /out && cp target/release/order target/release/voucher target/release/checkout-token /out/

FROM debian:bookworm-slim AS runtime
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
USER app
ENV LOG_FORMAT=json

FROM runtime AS order
COPY --from=build /out/order /usr/local/bin/order
# The API on every interface; /health, /ready and /metrics on the admin listener, loopback
# only (the healthcheck runs inside the container). For a metrics scraper in another
# container, set ORDER_ADMIN_HOST=0.0.0.0 and keep the port off the published ones.
ENV ORDER_HTTP_HOST=0.0.0.0 ORDER_HTTP_PORT=54322 ORDER_ADMIN_HOST=127.0.0.1 ORDER_ADMIN_PORT=54332
EXPOSE 54322
HEALTHCHECK --interval=5s --timeout=3s --retries=10 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/54332 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["order"]
CMD ["serve"]

# Development signing keys and tokens (`keygen`, `mint`): for local compose only; a
# deployment verifies the tokens of its identity provider.
FROM runtime AS dev-tokens
COPY --from=build /out/checkout-token /usr/local/bin/checkout-token
# New named volumes mounted here take these directories' owners: the key and the JWKS are
# written as `app`; only the JWKS volume is mounted into the services.
USER root
RUN mkdir -m 0700 /auth /event-key && mkdir -m 0755 /jwks && chown app:app /auth /event-key /jwks
USER app
ENTRYPOINT ["checkout-token"]

# Development certificates for TLS to PostgreSQL (docker/db-certs.sh): for local compose
# only; a deployment uses certificates from its own CA.
FROM debian:bookworm-slim AS dev-certs
RUN apt-get update && apt-get install -y --no-install-recommends openssl \
    && rm -rf /var/lib/apt/lists/*
COPY scripts/certs scripts/lib.sh /checkout/scripts/
COPY docker/db-certs.sh /checkout/db-certs.sh
ENTRYPOINT ["/checkout/db-certs.sh"]

# Development Redis secrets, for local compose only: a CA and a certificate for the host
# names `redis` and `localhost` (scripts/certs), the users' passwords and the ACL file
# (scripts/redis-acl). A deployment brings its own certificates and passwords.
FROM debian:bookworm-slim AS dev-redis-secrets
RUN apt-get update && apt-get install -y --no-install-recommends openssl \
    && rm -rf /var/lib/apt/lists/*
COPY scripts/lib.sh scripts/certs scripts/redis-acl /usr/local/lib/checkout/

FROM runtime AS voucher
COPY --from=build /out/voucher /usr/local/bin/voucher
# The API on every interface; /health, /ready and /metrics on the admin listener, loopback
# only (the healthcheck runs inside the container). For a metrics scraper in another
# container, set VOUCHER_ADMIN_HOST=0.0.0.0 and keep the port off the published ones.
ENV VOUCHER_HTTP_HOST=0.0.0.0 VOUCHER_HTTP_PORT=54323 VOUCHER_ADMIN_HOST=127.0.0.1 VOUCHER_ADMIN_PORT=54333
EXPOSE 54323
HEALTHCHECK --interval=5s --timeout=3s --retries=10 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/54333 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["voucher"]
CMD ["serve"]
