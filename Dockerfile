# AWA image: gunicorn serving the Dash app, or (same image) the Celery worker and the build.
#   docker build --build-arg BUILD_VERSION=$(git rev-parse --short HEAD) -t awa .
# Stores are mounted read-only at /data; /cache is the only writable folder.

# ---- build stage: the app and its dependencies installed into a virtual environment ----
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY awa ./awa
COPY data_build ./data_build
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir .

# ---- run stage: the environment, the entry files, an unprivileged user ----
FROM python:3.11-slim
ARG BUILD_VERSION=dev
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    AWA_DATA_DIR=/data \
    AWA_CACHE_DIR=/cache \
    NUMBA_CACHE_DIR=/tmp/numba \
    AWA_BUILD_VERSION=$BUILD_VERSION
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin awa \
    && mkdir -p /data /cache \
    && chown awa:awa /cache \
    && chmod 0700 /cache
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY app.py gunicorn.conf.py ./
COPY assets ./assets
USER 10001:10001
VOLUME ["/data", "/cache"]
EXPOSE 8050
# /healthz: every store present and readable (503 otherwise), cache and queue state
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8050/healthz', timeout=4)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "app:server"]
