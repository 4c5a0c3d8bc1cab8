# The production image: the same steps CI runs (make installs from the hashed lock file, the
# start script is `make serve`'s), as a non-root user, with a health check on /healthz.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --uid 10001 app

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lock file changes.
COPY Makefile ./
COPY requirements/base.txt requirements/base.txt
RUN make .venv/.base

COPY . .
# Translations and static files (hashed, compressed) are built into the image, so a container
# starts by migrating and serving. The key and the database URL only satisfy settings at
# build time (collectstatic connects to no database).
RUN make messages \
    && SECRET_KEY=build-only DATABASE_URL=postgres://build-only/phoneref \
    .venv/bin/python manage.py collectstatic --noinput --verbosity 0

# The code stays root-owned and read-only to the process that serves it.
USER app
ENV HOST=0.0.0.0 \
    PORT=8000 \
    COLLECTSTATIC_ON_START=0
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["/app/.venv/bin/python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

# scripts/start execs gunicorn, so it gets the platform's SIGTERM and shuts down gracefully.
CMD ["scripts/start"]
