# base the base image
FROM busybox AS base
# build compiles things
FROM --platform=$BUILDPLATFORM base AS build
FROM scratch
