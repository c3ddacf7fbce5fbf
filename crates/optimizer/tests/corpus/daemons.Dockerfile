# corpus-expect: no-merge
FROM debian:bookworm
RUN apt-get update && apt-get install -y postgresql redis-server && rm -rf /var/lib/apt/lists/*
RUN service postgresql start
RUN su postgres -c "psql -c 'create database app'"
RUN redis-server --daemonize yes
RUN redis-cli ping
