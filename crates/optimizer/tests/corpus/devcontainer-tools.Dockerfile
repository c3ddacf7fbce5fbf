FROM mcr.microsoft.com/devcontainers/base:bookworm
RUN apt-get update && export DEBIAN_FRONTEND=noninteractive \
    && apt-get -y install --no-install-recommends jq shellcheck \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL https://example.com/install.sh | sh
USER vscode
