FROM alpine:3.19
RUN apk add --no-cache ca-certificates
LABEL org.opencontainers.image.source="https://example.com/repo"
RUN mkdir /data
EXPOSE 8080
RUN adduser -D -u 1000 app
