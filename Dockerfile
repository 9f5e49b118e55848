# Build stage: compile the release binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --profile dist --locked && strip target/dist/datapm-registry

# Run stage: the binary alone, as a non-root user, with the data directory as a volume.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data datapm \
    && mkdir -p /data && chown datapm /data
COPY --from=build /src/target/dist/datapm-registry /usr/local/bin/datapm-registry
USER datapm
ENV DATAPM_DATA_DIR=/data PORT=4000
VOLUME ["/data"]
EXPOSE 4000
ENTRYPOINT ["datapm-registry"]
CMD ["serve"]
