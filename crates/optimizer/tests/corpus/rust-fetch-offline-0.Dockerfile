FROM rust:1.78 AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs
RUN cargo fetch
COPY src ./src
RUN cargo build --release --offline
FROM gcr.io/distroless/cc-debian12
COPY --from=build /src/target/release/app /app
CMD ["/app"]
