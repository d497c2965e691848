# syntax=docker/dockerfile:1
# Production image of the portal: one image for the web process (gunicorn), the Celery
# workers and beat; compose.yaml picks the role with `command:`.
#
#   docker build -t cong-dich-vu-cong .
#
# Stage 1 builds the virtualenv from requirements.lock, the same pinned file `make install`
# and CI read; stage 2 is the slim runtime with only the shared libraries the code loads.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --------------------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# gettext only compiles the translation catalogues; it stays in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
# Copy the lock file alone first, so the dependency layer is rebuilt only when it changes.
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install "pip==26.3" \
    && /opt/venv/bin/pip install --require-virtualenv -r /tmp/requirements.lock

COPY . /src
# A broken catalogue fails the build (find's "+" form passes on the exit status).
RUN find /src/locale -name '*.po' \
        -exec sh -c 'for po; do msgfmt --check -o "${po%.po}.mo" "$po" || exit 1; done' _ {} +

# --------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="Cổng Dịch vụ công" \
      org.opencontainers.image.description="Provincial public-service portal: web, Celery worker and beat"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production \
    STATIC_ROOT=/app/staticfiles \
    PRIVATE_STORAGE_ROOT=/data/private \
    WEB_CONCURRENCY=4

# WeasyPrint (PDF slips) loads Pango, PangoFT2 and HarfBuzz's subsetter through cffi;
# the PDFs' fonts ship in static/fonts/, so no font package is needed; python-magic needs libmagic;
# poppler-utils' pdftoppm renders the documents' preview pages (pdf queue).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        libmagic1 \
        poppler-utils \
    && rm -rf /var/lib/apt/lists/*

# The processes run as an unprivileged user that cannot modify the code it runs.
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --create-home --home-dir /home/portal \
        --shell /usr/sbin/nologin portal \
    && mkdir -p /data/private \
    && chown portal:portal /data/private

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY --from=builder /src /app

# Static files are collected at build time. Production settings refuse to load without
# these four variables, so dummy build-only values are given to this one command; the
# real ones come from the environment when a container starts.
RUN SECRET_KEY=build-only-not-a-secret \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@localhost:5432/build \
    EVENT_CHAIN_KEYS=build:build-only-not-a-secret \
    python manage.py collectstatic --no-input -v 0 \
    && python -m compileall -q portal procedures dossiers signing

USER portal:portal
VOLUME ["/data/private"]
EXPOSE 8000

# /healthz answers 200 when the database and the broker do, 503 otherwise. The Host header
# must be one of ALLOWED_HOSTS (a leading "." or "*" is turned into a name it accepts).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.').replace('*', 'localhost') or 'localhost'; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=4)"]

# WEB_CONCURRENCY sets gunicorn's worker count; GUNICORN_CMD_ARGS adds any other option.
CMD ["gunicorn", "portal.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--no-control-socket", \
     "--timeout", "60", \
     "--graceful-timeout", "30", \
     "--max-requests", "2000", \
     "--max-requests-jitter", "200", \
     "--access-logfile", "-", \
     "--logger-class", "portal.gunicorn_logging.RedactingLogger"]
