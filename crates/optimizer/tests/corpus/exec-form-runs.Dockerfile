# corpus-expect: unchanged
FROM python:3.12-slim
RUN ["pip", "install", "--no-cache-dir", "flask"]
RUN ["python", "-c", "import flask"]
CMD ["flask", "run"]
