# corpus-expect: offline:no-mount
ARG BASE_IMAGE=debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
