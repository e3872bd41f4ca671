# syntax=docker/dockerfile:1
# Build stage: the Rust toolchain compiles a release binary. SQLite and the
# PostgreSQL client library are bundled (built from source), so only the
# system OpenSSL is linked. `.cargo/config.toml` carries the SQLite build
# flags (no shared page-cache mutex): it must be copied with the sources.
#
# Pin the base images by digest in your registry mirror for reproducible
# builds, e.g. `FROM rust:1.95-bookworm@sha256:…` (look the digests up with
# `docker buildx imagetools inspect rust:1.95-bookworm`); the tags below are
# what the digests should resolve from.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
COPY src ./src
COPY migrations ./migrations
# Cache mounts keep the registry and the build directory between builds; the
# binary is copied out of the cached target directory.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && strip target/release/circles \
    && cp target/release/circles /usr/local/bin/circles

# Runtime stage: no toolchain, no curl, a non-root user, data in a volume.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin circles \
    && mkdir -p /data && chown circles:circles /data
COPY --from=build /usr/local/bin/circles /usr/local/bin/circles
USER circles
WORKDIR /data
ENV CIRCLES_HOST=0.0.0.0 \
    CIRCLES_PORT=8080 \
    CIRCLES_DATA_DIR=/data \
    RUST_LOG=info
VOLUME ["/data"]
EXPOSE 8080
# `circles healthcheck` asks /healthz on 127.0.0.1:$CIRCLES_PORT (use
# `--path /readyz` for readiness in an orchestrator).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["circles", "healthcheck"]
# The service finishes in-flight requests for up to 30 s after SIGTERM:
# give it a stop grace period of at least that (`docker stop -t 35`,
# Kubernetes `terminationGracePeriodSeconds: 35`).
STOPSIGNAL SIGTERM
ENTRYPOINT ["circles"]
CMD ["serve"]
