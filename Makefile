# Two commands: `make demo` (install, then crawl the offline demo region) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CHROMIUM := /usr/lib/chromium/chromium-headless-shell
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test model chromium compose-tool redis-tool report-libs bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench,redis]'
	touch $@

# Playwright cannot download its own browser here; Debian's headless shell serves it.
chromium:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell; }

# The weekly report's PDF: WeasyPrint lays out text with pango; DejaVu Sans has Cyrillic.
report-libs:
	@{ ldconfig -p | grep -q libpangoft2-1.0 && test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf; } || { \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; }


# tests/test_compose.py runs `docker compose config` (no engine needed). Debian 12 has only Compose v1
# (docker-compose); the v2 plugin is taken from Debian 13's docker-compose package, fetched from the
# machine's own Debian mirror with a throwaway source list (the system's apt sources stay as they
# are), into the docker CLI's plugin folder; it also runs alone, without the docker CLI.
COMPOSE_PLUGIN := /usr/local/lib/docker/cli-plugins/docker-compose
compose-tool:
	@test -x $(COMPOSE_PLUGIN) || { set -e; tmp=$$(mktemp -d); \
		mirror=$$(apt-get indextargets --format '$$(REPO_URI)' 'Origin: Debian' | grep -v security | head -1); \
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $$mirror trixie main" > $$tmp/sources.list; \
		mkdir -p $$tmp/lists/partial $$tmp/cache/archives/partial; \
		apt="-o Dir::Etc::SourceList=$$tmp/sources.list -o Dir::Etc::SourceParts=/dev/null \
			-o Dir::State::Lists=$$tmp/lists -o Dir::Cache=$$tmp/cache -o APT::Sandbox::User=root"; \
		$(SUDO) apt-get $$apt update -qq; \
		(cd $$tmp && $(SUDO) apt-get $$apt download -qq docker-compose); \
		dpkg-deb --fsys-tarfile $$tmp/docker-compose_*.deb | tar -x -C $$tmp ./usr/libexec/docker/cli-plugins/docker-compose; \
		$(SUDO) install -D -m 0755 $$tmp/usr/libexec/docker/cli-plugins/docker-compose $(COMPOSE_PLUGIN); \
		$(SUDO) rm -rf $$tmp; }

# tests/test_limits.py shares crawl limits through a local redis-server it starts on 127.0.0.1.
redis-tool:
	@command -v redis-server >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server; }

demo: $(VENV)/.installed chromium report-libs
	$(VENV)/bin/monitor demo

test: $(VENV)/.installed chromium compose-tool redis-tool report-libs
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -p no:cacheprovider -q

# The shipped models, rebuilt from the corpus (detector/training/corpus/) and the real St Petersburg
# appeals (not in the repository: ../shared/data/ or REAL_APPEALS=...). The same data gives the same
# files, byte for byte; commit them only when their figures (in each card) change.
REAL_APPEALS ?= ../shared/data/spb_appeals_2020.jsonl
CHATTER ?= ../shared/data/rusentitweet_train.jsonl
MODELS := detector/models
model: $(VENV)/.installed
	@test -f $(REAL_APPEALS) || { echo "make model: $(REAL_APPEALS) not found; give REAL_APPEALS=path/to/spb_appeals_2020.jsonl"; exit 2; }
	@test -f $(CHATTER) || { echo "make model: $(CHATTER) not found; give CHATTER=path/to/rusentitweet_train.jsonl"; exit 2; }
	$(VENV)/bin/monitor train complaints --real-appeals $(REAL_APPEALS) --chatter $(CHATTER) --out $(MODELS)/complaints.npz
	$(VENV)/bin/monitor train fakes --chatter $(CHATTER) --out $(MODELS)/fakes.npz
	$(VENV)/bin/monitor eval complaints --real-appeals $(REAL_APPEALS) --chatter $(CHATTER) --record $(MODELS)/complaints.npz
	$(VENV)/bin/monitor eval fakes --record $(MODELS)/fakes.npz -s DETECTOR_MODEL=$(MODELS)/complaints.npz

bench: $(VENV)/.installed chromium
	$(PY) bench/crawl.py
	$(PY) bench/index.py
	$(PY) bench/score.py
	$(PY) bench/language.py

clean:
	rm -rf $(VENV) var
