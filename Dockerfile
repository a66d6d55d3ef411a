# lectern as a container image: build in the Rust image, run on a slim base.
#
#   docker build -t lectern .
#   docker run --rm -p 3000:3000 \
#     -e LECTERN_DB=postgres://lectern:PASSWORD@db.internal:5432/lectern \
#     -e LECTERN_EDUCATOR_TOKEN=... lectern
#
# The binary is "static-ish": SQLite is compiled in and there is no OpenSSL, so it needs only
# glibc, libm and libgcc_s, which the distroless "cc" base provides (no shell, no package
# manager, runs as an unprivileged user). The bundled lessons are baked into the image so
# every instance serves the same files; see docs/deploy.md for other ways. The image keeps no
# state: give it a PostgreSQL URL, or mount a volume and set LECTERN_DB=/data/lectern.db.

FROM rust:1-slim-bookworm AS build
WORKDIR /src
# Build from a clean checkout (or keep target/ out of the context with a .dockerignore).
COPY . .
RUN cargo build --release --locked --bin lectern \
    && ./target/release/lectern check lessons

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/lectern /usr/local/bin/lectern
COPY --from=build /src/lessons /srv/lectern/lessons
WORKDIR /srv/lectern
ENV LECTERN_ADDR=0.0.0.0:3000 \
    LECTERN_LESSONS=/srv/lectern/lessons
EXPOSE 3000
# SIGTERM (docker stop) lets requests in flight finish before the process exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/lectern"]
CMD ["serve"]
