# syntax=docker/dockerfile:1
# QN-DTI Monitor: one image for every process (qndti worker, qndti connectors run, qndti db migrate).
# Build:  docker build -t qndti-monitor:0.1.0 .
# Run:    docker run --rm qndti-monitor:0.1.0 --help

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/qndti
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
COPY index_engine ./index_engine
COPY connectors ./connectors
COPY streams ./streams
COPY grafana ./grafana
COPY qndti ./qndti
RUN /opt/qndti/bin/pip install . \
 && find /opt/qndti -name '__pycache__' -type d -prune -exec rm -rf {} +

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="QN-DTI Monitor" \
      org.opencontainers.image.description="Real-time monitoring of Quang Ninh's digital-transformation index" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 qndti \
 && useradd --system --uid 10001 --gid qndti --home-dir /var/lib/qndti --create-home --shell /usr/sbin/nologin qndti
COPY --from=build /opt/qndti /opt/qndti
ENV PATH=/opt/qndti/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    QNDTI_STACK_DIR=/var/lib/qndti \
    QNDTI_WORKER_WEB_HOST=0.0.0.0 \
    QNDTI_CONNECTORS_HOST=0.0.0.0
WORKDIR /var/lib/qndti
USER 10001:10001
EXPOSE 6066 6067
# The worker's health; Compose and Kubernetes set their own checks for the other commands.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6066/healthz', timeout=3)"]
ENTRYPOINT ["qndti"]
CMD ["worker", "--loglevel", "info"]
