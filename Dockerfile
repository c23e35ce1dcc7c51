# The image of every OBCMS service; the SERVICE build argument says which (gateway, tasks,
# portfolio, calendar). Build context: the repository root
#   docker build --build-arg SERVICE=tasks -t obcms/tasks .
# Multi-stage: dependencies are resolved from uv.lock in the build stage; the runtime stage
# holds only the virtual environment, runs as a non-root user and writes nothing to its root
# filesystem (no bytecode writes; /tmp is the only scratch space the chart mounts).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy PIP_NO_CACHE_DIR=1
RUN pip install --disable-pip-version-check uv==0.13.8
WORKDIR /src
COPY . .
# The gateway's package is gateway/, a service's services/<name>/; both are obcms-<name>.
RUN if [ "$SERVICE" = gateway ]; then source=gateway; else source="services/$SERVICE"; fi \
    && if [ -z "$SERVICE" ] || [ ! -f "$source/pyproject.toml" ]; then \
        echo "SERVICE: give --build-arg SERVICE=gateway|tasks|portfolio|calendar|notifications (a deployable of the registry)" >&2; exit 1; \
    fi \
    && uv export --frozen --no-dev --no-emit-workspace --no-hashes --package "obcms-$SERVICE" \
        -o /tmp/requirements.txt \
    && uv venv /opt/venv \
    && VIRTUAL_ENV=/opt/venv uv pip install --no-deps -r /tmp/requirements.txt \
    && VIRTUAL_ENV=/opt/venv uv pip install --no-deps ./libs "./$source"

FROM ${PYTHON_IMAGE}
ARG SERVICE
# libmagic: python-magic sniffs the type of every attachment (`obcms_platform.attachments`).
# Pango and the DejaVu fonts: WeasyPrint lays out the gateway's PDF reports with them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmagic1 libpango-1.0-0 libpangoft2-1.0-0 \
        libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 obcms \
    && useradd --system --uid 10001 --gid obcms --no-create-home --shell /usr/sbin/nologin obcms
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=4194304 \
    MALLOC_TRIM_THRESHOLD_=8388608 \
    OBCMS_MODE=production \
    OBCMS_IMAGE_SERVICE=${SERVICE}
USER 10001:10001
EXPOSE 8000
# The chart gives each container its command; this default serves the API.
CMD ["/bin/sh", "-c", "exec obcms-\"$OBCMS_IMAGE_SERVICE\" serve --host 0.0.0.0 --port 8000"]
