# The ledger API. Runs as a non-root user; configure PostgreSQL through the environment (README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY projections ./projections
COPY api ./api
COPY scheduler ./scheduler
RUN pip install . \
    && useradd --system --create-home --home-dir /home/ledger --uid 10001 ledger \
    && mkdir -p /data && chown ledger /data

USER ledger
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]
CMD ["ledger", "serve", "--host", "0.0.0.0", "--port", "8000"]
