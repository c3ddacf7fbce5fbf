FROM ubuntu:24.04 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update
RUN apt-get install -y --no-install-recommends build-essential autoconf automake libtool pkg-config
RUN apt-get install -y --no-install-recommends libssl-dev zlib1g-dev
WORKDIR /src
COPY . .
RUN ./autogen.sh && ./configure --prefix=/usr/local
RUN make -j"$(nproc)"
RUN make install DESTDIR=/out
FROM ubuntu:24.04
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 zlib1g ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/local /usr/local
ENTRYPOINT ["/usr/local/bin/tool"]
