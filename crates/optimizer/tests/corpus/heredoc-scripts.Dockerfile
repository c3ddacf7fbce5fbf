# syntax=docker/dockerfile:1.4
# corpus-expect: unchanged
FROM debian:bookworm
RUN <<EOF
set -e
apt-get update
apt-get install -y --no-install-recommends curl
rm -rf /var/lib/apt/lists/*
EOF
RUN <<EOT bash
  echo "hello" > /hello
EOT
COPY <<EOF /etc/app.conf
key=value
EOF
