# Production image: gunicorn serving config.wsgi, static files collected at build time and
# served by whitenoise. Configured entirely through environment variables (.env.example).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first: this layer is rebuilt only when pyproject.toml changes.
# `pip install --group` needs pip >= 25.1.
COPY pyproject.toml ./
RUN python -m pip install "pip>=25.1" \
    && python -m pip install --group runtime

COPY manage.py gunicorn.conf.py ./
COPY backend ./backend

# Build-only values: they merely get past the settings' "no dev secret with DEBUG off" guard
# so collectstatic can run. Nothing else sees them: the running container gets its secrets
# from the environment (docker-compose's env_file), and these are no part of any layer's ENV.
RUN DEBUG=false \
    SECRET_KEY=build-only-secret-key-not-used-at-run-time \
    JWT_SIGNING_KEY=build-only-jwt-key-not-used-at-run-time \
    FIELD_ENCRYPTION_KEY=YnVpbGQtb25seS1ub3QtYS1zZWNyZXQtMzItYnl0ZXM= \
    TIKTOK_CLIENT_KEY=build-only \
    TIKTOK_CLIENT_SECRET=build-only \
    REDIS_URL=redis://build-only:6379/0 \
    DATA_DIR=/tmp/build-data \
    python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-data

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app
USER app

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4).status != 200)"]

# Migrations on start, then gunicorn; `exec` makes gunicorn replace the shell, so it receives
# the container's stop signal. gthread workers: a thread waiting ~200 ms on TikTok does not hold
# a whole process (docs/performance.md, "Load test"); WEB_CONCURRENCY processes x WEB_THREADS threads.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn --chdir backend config.wsgi --bind 0.0.0.0:8000 --worker-class gthread --workers \"${WEB_CONCURRENCY:-2}\" --threads \"${WEB_THREADS:-16}\" --worker-tmp-dir /dev/shm --access-logfile - --error-logfile -"]
