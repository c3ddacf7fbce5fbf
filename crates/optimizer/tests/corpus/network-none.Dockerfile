# corpus-expect: no-mount
FROM debian:bookworm
RUN --network=none apt-get install -y /debs/*.deb
