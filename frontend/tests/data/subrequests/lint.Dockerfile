# check=experimental=InvalidDefinitionDescription
ARG BASE=busybox
ARG TAG
FROM ${BASE}:${TAG:-latest} as Builder
MAINTAINER me
ENV PASSWORD secret
WORKDIR app
RUN echo $UNDEFINED
COPY $UNDEFINEDX /x
COPY secret.txt /s
CMD echo hi
CMD ["two"]
# the build stage
FROM --platform=linux/amd64 scratch AS builder
from busybox
COPY --from=builder /x /y
RUN echo a \

  && echo b
