# A worker image: `python -m sdk.worker` loading the handler modules in /app/workers.
# Build: docker build -t sdk-worker .   Run: docker run -e CAMUNDA_REST_ADDRESS=... sdk-worker
# tests/container/ builds and runs it with podman (docs/deployment.md says how).

# The package is installed in a build stage under a staging root, which the image then takes
# in one layer (COPY): no sources, build files or caches in the image, and the layer's cache
# follows the sources' content on every builder. EXTRAS (build arg), e.g. "postgres":
# optional extras to install with it.
FROM python:3.11-slim AS install
COPY pyproject.toml README.md /src/
COPY src /src/src
ARG EXTRAS=""
RUN pip install --no-cache-dir --disable-pip-version-check --no-warn-script-location \
    --root /staging "/src${EXTRAS:+[$EXTRAS]}"

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The data folder exists, owned by app: Docker gives a new volume mounted on it that owner.
RUN useradd --create-home --uid 10001 --user-group app \
    && install -d -o app -g app /home/app/data
WORKDIR /app

# The package first, so editing handlers does not reinstall it.
COPY --from=install /staging /
COPY workers ./workers

USER app
# Containers log JSON lines and serve /healthz, /readyz and /metrics on every interface
# (inside the container's own network); override any of these with -e / environment:.
ENV SDK_DATA_DIR=/home/app/data \
    SDK_LOG_FORMAT=json \
    SDK_HTTP_PORT=9464 \
    SDK_HTTP_HOST=0.0.0.0
EXPOSE 9464

# slim has no curl: ask Python. Liveness only (the worker's loop answers); readiness, which
# also needs the server, is /readyz for orchestrators that tell the two apart.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['SDK_HTTP_PORT'] + '/healthz', timeout=4)"]

# SIGTERM (docker stop) drains: running jobs get SDK_GRACE_PERIOD_S, then are handed back.
# Give the container a longer stop timeout than that (compose: stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "sdk.worker"]
