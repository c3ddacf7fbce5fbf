# corpus-expect: unchanged
FROM debian:bookworm
# dfopt:keep
RUN apt-get update
# dfopt:keep
RUN apt-get install -y curl
