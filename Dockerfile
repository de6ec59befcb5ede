# syntax=docker/dockerfile:1
# Build stage: install the service and its dependencies into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY core ./core
COPY storage ./storage
COPY bots ./bots
COPY api ./api
COPY karaoke ./karaoke
RUN /opt/venv/bin/pip install .

# Runtime stage: the virtualenv, the demo catalog, and a non-root user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PORT=8080 \
    KARAOKE_HOST=0.0.0.0 \
    KARAOKE_DEMO_CATALOG=/app/data/karafun-catalog-2022.csv
RUN useradd --create-home --uid 10001 karaoke
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY data ./data
USER 10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8080\")}/api/v1/healthz', timeout=2)"]
CMD ["karaoke", "serve"]
