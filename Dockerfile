# scpipe in one container: `scpipe run` (broker on 5555, metrics and health on 9187).
# Built from Debian 12 packages only, like scripts/setup. Configuration by environment
# (SCPIPE_<SECTION>_<KEY>, see docs/operations.md), e.g. SCPIPE_DATABASE_URL.
#
#   docker build -t scpipe .        (or: podman build --isolation=chroot -t scpipe .)
#   docker run -e SCPIPE_DATABASE_URL=postgresql://user:pw@db/warehouse -p 5555:5555 scpipe

# -- build ------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake make pkg-config libcaf-dev libpqxx-dev libpq-dev libssl-dev \
      libboost-json1.81-dev libzmq3-dev cppzmq-dev libtomlplusplus-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY sql sql
COPY src src
# RelWithDebInfo (-O2) as scripts/setup: GCC 12 at -O3 warns falsely (-Wrestrict) in libstdc++.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCPIPE_BUILD_TESTS=OFF \
      -DSCPIPE_BUILD_BENCH=OFF -DSCPIPE_WERROR=ON \
 && cmake --build build -j"$(nproc)" --target scpipe \
 && strip build/scpipe

# -- run --------------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcaf-core0.17 libpqxx-6.4 libpq5 libssl3 libzmq5 libtomlplusplus3 libboost-json1.81.0 tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /usr/share/scpipe --shell /usr/sbin/nologin scpipe
COPY --from=build /src/build/scpipe /usr/local/bin/scpipe
# The working directory holds what scpipe finds by default: config/scpipe.toml and seed/.
COPY config /usr/share/scpipe/config
COPY seed /usr/share/scpipe/seed
WORKDIR /usr/share/scpipe
# Inside a container the sockets must listen on every interface.
ENV SCPIPE_BROKER_ENDPOINT=tcp://0.0.0.0:5555 \
    SCPIPE_HTTP_LISTEN=0.0.0.0:9187
EXPOSE 5555 9187
USER scpipe
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9187 && printf 'GET /healthz HTTP/1.1\\r\\nHost: scpipe\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["scpipe"]
CMD ["run"]
