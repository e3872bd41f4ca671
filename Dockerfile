# syntax=docker/dockerfile:1
# Build stage: the Rust toolchain compiles a release binary. SQLite and the
# PostgreSQL client library are bundled (built from source), so only the
# system OpenSSL is linked.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
RUN cargo build --release --locked \
    && strip target/release/circles

# Runtime stage: no toolchain, a non-root user, data in a volume.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin circles \
    && mkdir -p /data && chown circles:circles /data
COPY --from=build /src/target/release/circles /usr/local/bin/circles
USER circles
WORKDIR /data
ENV CIRCLES_HOST=0.0.0.0 \
    CIRCLES_PORT=8080 \
    CIRCLES_DATA_DIR=/data \
    RUST_LOG=info
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["circles"]
CMD ["serve"]
