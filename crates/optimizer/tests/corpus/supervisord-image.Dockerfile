FROM debian:bookworm
RUN apt-get update && apt-get install -y supervisor nginx && rm -rf /var/lib/apt/lists/*
COPY supervisord.conf /etc/supervisor/conf.d/app.conf
RUN mkdir -p /var/log/supervisor
CMD ["/usr/bin/supervisord", "-n"]
