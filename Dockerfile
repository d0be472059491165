# The `monitor` command with Debian's headless Chromium (Playwright cannot download its own browser).
# Runs from /app: var/ (spool, heartbeat) is relative to it, and compose mounts the staff's watchlists/
# there (MONITOR_FILES_DIR); the demo files and the models ship inside the installed package.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# chromium-headless-shell: /usr/lib/chromium/chromium-headless-shell (RENDERED_CHROMIUM_PATH);
# curl: healthchecks and debugging; pango and DejaVu (Cyrillic): the weekly report's PDF (WeasyPrint).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        chromium-headless-shell curl ca-certificates libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --uid 10001 --user-group monitor

WORKDIR /app

# Dependencies first, in their own layer, so that a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# var/ holds the spool and the scheduler's heartbeat; the compose volume takes its owner from here.
RUN pip install --no-deps . \
    && mkdir -p var \
    && chown monitor:monitor var

USER monitor
ENTRYPOINT ["monitor"]
CMD ["--help"]
