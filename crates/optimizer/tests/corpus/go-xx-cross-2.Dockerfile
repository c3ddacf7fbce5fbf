FROM --platform=$BUILDPLATFORM tonistiigi/xx:1.4 AS xx
FROM --platform=$BUILDPLATFORM golang:1.23-bookworm AS build
COPY --from=xx / /
ARG TARGETPLATFORM
WORKDIR /src
COPY . .
RUN go mod download
RUN xx-go build -o /out/app . && xx-verify /out/app
FROM debian:bookworm-slim
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
