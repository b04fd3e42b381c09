# A worker image: `python -m sdk.worker` loading the handler modules in /app/workers.
# Not built in this repository's CI (no container engine there); see README "Containers".
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 app
WORKDIR /app

# Dependencies first, so editing handlers does not reinstall them.
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install .

COPY workers ./workers

USER app
ENV SDK_DATA_DIR=/home/app/data
ENTRYPOINT ["python", "-m", "sdk.worker"]
