FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AWA_DATA_DIR=/data \
    AWA_CACHE_DIR=/cache

WORKDIR /app
COPY pyproject.toml README.md ./
COPY awa ./awa
COPY data_build ./data_build
RUN pip install --no-cache-dir .
COPY app.py gunicorn.conf.py ./
COPY assets ./assets

RUN useradd --create-home awa && mkdir -p /data /cache && chown awa /data /cache
USER awa
VOLUME ["/data", "/cache"]
EXPOSE 8050

CMD ["gunicorn", "--config", "gunicorn.conf.py", "app:server"]
