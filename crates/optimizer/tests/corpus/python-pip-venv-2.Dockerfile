FROM python:3.12-alpine AS builder
RUN apk add --no-cache build-base libpq-dev
ENV VIRTUAL_ENV=/opt/venv
RUN python -m venv $VIRTUAL_ENV
ENV PATH="$VIRTUAL_ENV/bin:$PATH"
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

FROM python:3.12-alpine
COPY --from=builder /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
WORKDIR /app
COPY . .
RUN useradd -u 10001 app || adduser -D -u 10001 app
USER 10001
CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
