# corpus-expect: no-mount
FROM python:3.12-slim
ENV UV_NO_CACHE=1
COPY --from=ghcr.io/astral-sh/uv:0.4 /uv /bin/uv
RUN uv pip install --system flask
