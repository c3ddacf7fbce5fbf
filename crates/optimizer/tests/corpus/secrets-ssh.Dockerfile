# syntax=docker/dockerfile:1
FROM golang:1.22
RUN --mount=type=ssh git clone git@example.com:org/private.git /src
RUN --mount=type=secret,id=netrc,target=/root/.netrc go env -w GOPRIVATE=example.com
