# corpus-expect: no-mount
FROM debian:bookworm
RUN apt-get update && apt-get install -y --download-only curl
RUN apt-get install -y --no-download curl
