FROM ubuntu:24.04
RUN apt-get update && apt-get install -y curl gnupg ca-certificates
RUN curl -fsSL https://example.com/key.gpg | gpg --dearmor -o /usr/share/keyrings/example.gpg
RUN echo "deb [signed-by=/usr/share/keyrings/example.gpg] https://example.com/apt stable main" > /etc/apt/sources.list.d/example.list
RUN apt-get update && apt-get install -y example-tool && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /workspace && chmod 777 /workspace
WORKDIR /workspace
