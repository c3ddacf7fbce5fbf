FROM --platform=$BUILDPLATFORM tonistiigi/xx:1.4 AS xx
FROM --platform=$BUILDPLATFORM golang:1.21-alpine AS build
COPY --from=xx / /
ARG TARGETPLATFORM
WORKDIR /src
COPY . .
RUN go mod download
RUN xx-go build -o /out/app . && xx-verify /out/app
FROM alpine:3.19
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
