# One image for every process of commentsvc: the web app (the default command), the workers and
# the schema migrations.
#
#   docker build -t commentsvc .
#   docker run --rm -v commentsvc-data:/var/lib/commentsvc commentsvc commentsvc db upgrade
#   docker run -d -p 127.0.0.1:8000:8000 -v commentsvc-data:/var/lib/commentsvc commentsvc
#   docker run -d -e COMMENTSVC_REDIS_URL=redis://... commentsvc commentsvc worker
#
# The web command is gunicorn with deploy/gunicorn.conf.py (copied to
# /etc/commentsvc/gunicorn.conf.py): gthread workers, which must sit behind nginx
# (deploy/nginx/commentsvc.conf.template) because a client that sends its headers slowly holds
# a gthread thread for as long as it likes. deploy/compose.yaml runs the whole stack: nginx,
# web, worker, PostgreSQL and Redis (docs/deployment.md).
#
# With no settings it runs the embedded default: SQLite and a generated secret key in the
# instance volume (run `commentsvc db upgrade` once first, as above). Production sets
# COMMENTSVC_DATABASE_URL (PostgreSQL: psycopg is installed), COMMENTSVC_REDIS_URL,
# COMMENTSVC_SECRET_KEY and COMMENTSVC_PUBLIC_URL, and runs `commentsvc db upgrade` once per
# release, not per container.
# WEB_CONCURRENCY sets gunicorn's worker processes (unset: 2 with COMMENTSVC_REDIS_URL, else 1),
# GUNICORN_THREADS the threads of each. The HEALTHCHECK probes the web app: deploy/compose.yaml
# gives the worker a check of its own.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    COMMENTSVC_INSTANCE_PATH=/var/lib/commentsvc

# A fixed numeric id, so that orchestrators can check runAsNonRoot. The home folder (gunicorn
# keeps its control socket there) is not the instance volume, which holds only data.
RUN groupadd --system --gid 10001 commentsvc \
    && useradd --system --uid 10001 --gid 10001 --no-log-init \
        --home-dir /home/commentsvc --create-home --shell /usr/sbin/nologin commentsvc \
    && install --directory --owner=10001 --group=10001 --mode=0750 /var/lib/commentsvc

WORKDIR /build

# Dependencies in their own layer, rebuilt only when setup.cfg changes: the runtime requirements
# and the postgres extra, read from setup.cfg so that they are listed in one place.
COPY setup.cfg pyproject.toml ./
RUN python -c "import configparser; c = configparser.ConfigParser(interpolation=None); c.read('setup.cfg'); \
lines = c['options']['install_requires'].splitlines() + c['options.extras_require']['postgres'].splitlines(); \
print('\n'.join(s for s in (line.strip() for line in lines) if s and not s.startswith('#')))" \
        > requirements.txt \
    && pip install --no-cache-dir --requirement requirements.txt

# The gunicorn settings (read at start, so outside /build, which is removed below).
COPY deploy/gunicorn.conf.py /etc/commentsvc/gunicorn.conf.py
COPY deploy/gunicorn-events.conf.py /etc/commentsvc/gunicorn-events.conf.py

# The service itself (.dockerignore lets in only what ships), installed as a regular package.
COPY . .
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf /build

WORKDIR /var/lib/commentsvc
VOLUME ["/var/lib/commentsvc"]
USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["gunicorn", "--config", "/etc/commentsvc/gunicorn.conf.py"]
