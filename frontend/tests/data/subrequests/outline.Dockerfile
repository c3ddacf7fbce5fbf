# VERSION the version to build
ARG VERSION=1.0
ARG UNUSED=x
# base image flavour
ARG FLAVOUR=alpine
FROM busybox AS base
# release the release stage
FROM base AS release
# LEVEL log level
ARG LEVEL=info
RUN --mount=type=secret,id=token,required=true --mount=type=ssh echo $VERSION
ARG VERSION
RUN --mount=type=secret,id=npmrc echo
