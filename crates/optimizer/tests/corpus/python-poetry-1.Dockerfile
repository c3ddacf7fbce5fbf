FROM python:3.11-bookworm
ENV POETRY_VERSION=1.8.3 POETRY_VIRTUALENVS_CREATE=false PIP_NO_CACHE_DIR=1
RUN pip install "poetry==$POETRY_VERSION"
WORKDIR /app
COPY pyproject.toml poetry.lock ./
RUN poetry install --no-root --only main --no-interaction
COPY . .
CMD ["python", "-m", "app"]
