FROM debian:bookworm-slim
RUN mkdir -p /app/bin
RUN mkdir -p /app/conf
RUN ln -s /app/bin/tool /usr/local/bin/tool
RUN echo "export APP_HOME=/app" > /etc/profile.d/app.sh
RUN chmod 644 /etc/profile.d/app.sh
RUN groupadd -g 1000 app && useradd -u 1000 -g app app
