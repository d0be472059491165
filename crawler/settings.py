"""Every default of the crawler, grouped by component prefix.

Secrets come only from the environment, read here and nowhere else: ``VK_TOKENS`` (comma-separated
VK access tokens; several rotate), ``OK_APPLICATION_KEY``/``OK_ACCESS_TOKEN``/``OK_SECRET`` (an OK
application's public key, a token and the application's secret key), ``ES_API_KEY`` or ``ES_USERNAME``/``ES_PASSWORD``,
``KIBANA_USERNAME``/``KIBANA_PASSWORD``. The store is ``MONITOR_STORE_URL`` (or ``ES_URL``). Override any setting with ``monitor crawl -s NAME=VALUE`` or
``scrapy crawl <spider> -s NAME=VALUE``.
"""

from __future__ import annotations

import os

BOT_NAME = "social-monitor"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Scrapy core: polite by default, fast where it costs nothing -------------------------------
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_ITEMS = 10  # 100 (Scrapy's default) costs ~50% throughput in 2.19: PLATFORMS.md §1
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
COOKIES_ENABLED = False
DOWNLOAD_DELAY = 0.5
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
REMOTE_CONTROL_ENABLED = False  # it executes Python sent over HTTP: never on
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]  # 429 goes through RetryAfterMiddleware
RETRY_TIMES = 3
ROBOTSTXT_OBEY = True
TELNETCONSOLE_ENABLED = False
TWISTED_DNS_RESOLVER = "crawler.scope.resolver.ScopedResolver"  # refuses internal answers where it connects
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Scrapy re-reads a generator callback's source (inspect + ast) on every response to warn about
# `return value` in it: its cache holds callbacks weakly, and a bound method dies with its request.
# ~0.5 ms a page; tests/test_spider_callbacks.py checks our callbacks once instead.
WARN_ON_GENERATOR_RETURN_VALUE = False
USER_AGENT = ("social-monitor/0.1 (+https://github.com/social-monitor/social-monitor; "
              "monitoring of public pages for regional management centres)")

DOWNLOADER_MIDDLEWARES = {
    "crawler.scope.middleware.ScopeMiddleware": 40,  # before robots.txt: a refused URL reaches nothing
    "crawler.middlewares.retry_after.RetryAfterMiddleware": 540,
    "crawler.middlewares.vk_api.VkApiMiddleware": 560,
    "crawler.middlewares.ok_api.OkApiMiddleware": 570,
    "crawler.scope.middleware.ScopeOutcomeMiddleware": 950,  # next to the handler: before retries see it
}
DOWNLOAD_HANDLERS = {  # Scrapy's own, taking each request's shared turn first (crawler/limits/)
    "http": "crawler.limits.handler.LimitedDownloadHandler",
    "https": "crawler.limits.handler.LimitedDownloadHandler",
    "data": None, "file": None, "ftp": None, "s3": None,  # http(s) only: no local files, no other protocols
}
EXTENSIONS = {
    "crawler.state.CrawlState": 100,
    "crawler.health.extension.SourceHealthMonitor": 150,
    "crawler.limits.turns.SharedLimits": 200,
}
ITEM_PIPELINES = {
    "crawler.pipelines.validate.ValidatePipeline": 100,
    "crawler.pipelines.exclude.ExcludePipeline": 150,
    "crawler.pipelines.dedup.DedupPipeline": 200,
    "crawler.pipelines.language.LanguagePipeline": 300,
    "crawler.pipelines.detect.DetectPipeline": 400,
    "crawler.pipelines.index.IndexPipeline": 900,
}

# --- Crawler: what one crawl of a source covers -------------------------------------------------
CRAWLER_ALLOW_NETWORKS: list[str] = []  # internal networks a crawl may reach all the same, e.g. ["127.0.0.0/8"]
CRAWLER_BACKFILL_MAX_PAGES = 1000  # listing pages per source when backfilling (CRAWLER_BACKFILL_SINCE)
CRAWLER_BACKFILL_SINCE = ""  # ISO time: read every post since then, whatever the cursor (`monitor crawl --since`)
CRAWLER_COMMENT_WINDOW_DAYS = 3.0  # re-poll comments of posts this young when their count changed
CRAWLER_FIRST_CRAWL_DAYS = 14.0  # how far back the first crawl of a source reads
CRAWLER_HOSTS: dict[str, str] = {}  # names pinned to addresses, no DNS asked (crawler and browser), judged as any
CRAWLER_LIMITS_DIR = "var/limits"  # VK tokens' and download slots' turns, shared by this machine's crawl processes
CRAWLER_LIMITS_ENABLED = True  # pace VK tokens and download slots over every crawl process (off: each paces itself)
CRAWLER_MAX_PAGES = 50  # listing pages per source per crawl, a bound on runaway pagination
CRAWLER_RETRY_AFTER_MAX = 120.0  # longest Retry-After (seconds) honoured before giving up
CRAWLER_STATE_ENABLED = True  # read cursors from the store and save them (off: every crawl is a first crawl)

# --- Indexer: where items go --------------------------------------------------------------------
INDEXER_BATCH_SIZE = 500
INDEXER_MAX_PENDING = 4  # batches queued for the writer thread before the crawl waits for it
INDEXER_SPOOL_DIR = "var/spool"
INDEXER_SPOOL_RETRY_SECONDS = 10.0  # while items wait in the spool, how often the writer retries the store
INDEXER_SQLITE_CACHE_MB = 64  # the embedded store's page cache per connection: its indexes at a million posts
INDEXER_STORE_URL = os.environ.get("MONITOR_STORE_URL") or os.environ.get("ES_URL") or "sqlite:///var/monitor.db"

# --- Detector ------------------------------------------------------------------------------------
DETECTOR_FILES_DIR = os.environ.get("MONITOR_FILES_DIR") or ""  # a region's staff files (sectors.yml, routing.yml, ...)
DETECTOR_BATCH_SIZE = 256  # items the crawl's detector stage scores at once, at most
DETECTOR_ENABLED = False  # score in the crawl too (off: monitor detect scores, the scheduler every 5 min)
DETECTOR_PROCESS = True  # the crawl's detector stage scores in a worker process (off: in a thread)
DETECTOR_MAX_POSTS = 200_000  # posts `monitor detect` reads at once
DETECTOR_MODEL = ""  # the complaints model: empty = the one shipped (make model), "none" = lexicon only
DETECTOR_ROUTING = ""  # who acts and by when; empty: the demo region's, shipped in watchlists/
DETECTOR_SECTORS = ""  # the sectors and their phrases; empty: watchlists/sectors.yml, shipped
DETECTOR_TERRITORIES = ""  # the gazetteer (a file or a folder); empty: the demo region's, shipped
DETECTOR_VECTORS = ""  # navec word vectors (.tar) the complaints model reads; empty: the ones inside natasha
DETECTOR_THRESHOLD = 0.6  # calibrated complaint probability at which is_complaint becomes true (chosen on dev)
FAKES_LEXICON = ""  # the language of rumours and denials; empty: shipped, "none": no fake score
FAKES_MODEL = ""  # the fakes model: empty = the one shipped (make model), "none" = lexicon only
FAKES_REGISTRY = ""  # the debunk registry (empty: shipped); reviewed fakes join it from the store
FAKES_THRESHOLD = 0.35  # fake score at which is_fake_suspect becomes true (best F1 on the fakes dev split, model C=4)
FAKES_SPREAD_HOURS = 6.0  # a story that reaches FAKES_SPREAD_SOURCES sources within this time "spreads"
FAKES_SPREAD_SOURCES = 3
FACTCHECK_DEADLINE_HOURS = 1.0  # answer a fake where it spreads within the hour of its first appearance
CLUSTERS_THRESHOLD = 0.5  # estimated Jaccard of character 5-gram shingles at which two texts are near-copies
CLUSTERS_CONTAINMENT = 0.8  # ... or the share of the shorter text inside the longer one
ANSWERS_TARGET_HOURS = 24.0  # an official answer is due within this long of the citizen's post (service levels)
INCIDENTS_OUTBOX = "var/outbox/incidents.jsonl"  # new incidents wait here until the webhook accepts them
INCIDENTS_WEBHOOK_BACKOFF = 1.0  # seconds before the first retry; doubles each time
INCIDENTS_WEBHOOK_RETRIES = 5
INCIDENTS_WEBHOOK_URL = os.environ.get("MONITOR_WEBHOOK_URL")  # POST each new incident as JSON here
INCIDENTS_REOPEN_HOURS = 0.0  # a repeat appeal this soon after closing reopens the incident (0: a new, linked one)
INCIDENTS_WINDOW_HOURS = 72.0  # a complaint joins an incident whose last post is at most this old
SPIKES_ALERTS_PER_WEEK = 1.0  # across every series: the thresholds are calibrated to it on the run's past (0: off)
SPIKES_ALPHA = 1e-3  # tail probability (after the windows' correction) below which a count is a spike
SPIKES_ALPHA_FIRST = 1e-2  # the same for the one-bucket window: a wave's first hour
SPIKES_BUCKET = "1h"  # counts per sector × territory per bucket
SPIKES_COOLDOWN_HOURS = 24.0  # a series that alerted stays silent until it has been quiet this long
SPIKES_HISTORY_DAYS = 28.0  # the baseline's history
SPIKES_MIN_COUNT = 4  # posts a window must hold to alert, however unlikely
SPIKES_OUTBOX = "var/outbox/crises.jsonl"  # new crises wait here until the webhook accepts them
SPIKES_STORIES = 20  # clusters that are series of their own: those growing most in the last SPIKES_STORY_HOURS
SPIKES_STORY_HOURS = 24.0
SPIKES_TELEGRAM_API_URL = "https://api.telegram.org/"
SPIKES_TELEGRAM_CHAT_ID = os.environ.get("MONITOR_TELEGRAM_CHAT_ID")
SPIKES_TELEGRAM_OUTBOX = "var/outbox/crises-telegram.jsonl"
SPIKES_TELEGRAM_TOKEN = os.environ.get("MONITOR_TELEGRAM_BOT_TOKEN")  # a bot token: crises as messages
SPIKES_WEBHOOK_URL = os.environ.get("MONITOR_CRISIS_WEBHOOK_URL") or os.environ.get("MONITOR_WEBHOOK_URL")
SPIKES_WINDOWS = [1, 3, 6, 12, 24]  # hours each test looks back over

# --- Elasticsearch store (used when INDEXER_STORE_URL is http(s)://) -----------------------------
INDEXER_ES_API_KEY = os.environ.get("ES_API_KEY")
INDEXER_ES_CA_CERTS = os.environ.get("ES_CA_CERTS")
INDEXER_ES_CHUNK_SIZE = 500  # documents per bulk request
INDEXER_ES_INITIAL_BACKOFF = 2.0  # seconds before the first retry of a 429/5xx; doubles each time
INDEXER_ES_MAX_BACKOFF = 60.0
INDEXER_ES_MAX_CHUNK_BYTES = 10 * 1024 * 1024  # bytes per bulk request: under the cluster's http.max_content_length
INDEXER_ES_MAX_RETRIES = 3
INDEXER_ES_PASSWORD = os.environ.get("ES_PASSWORD")
INDEXER_ES_PREFIX = os.environ.get("MONITOR_INDEX_PREFIX") or "monitor"
INDEXER_ES_REFRESH = False  # wait for each write to become searchable (slow; tests)
INDEXER_ES_TIMEOUT = 30.0
INDEXER_ES_USERNAME = os.environ.get("ES_USERNAME")
INDEXER_ES_VERIFY_CERTS = os.environ.get("ES_VERIFY_CERTS") or True  # https: check the cluster's certificate
INDEXER_RETENTION_DAYS = int(os.environ.get("INDEXER_RETENTION_DAYS") or 180)

# --- Kibana (monitor setup imports the saved objects) ------------------------------------------
KIBANA_URL = os.environ.get("KIBANA_URL")
KIBANA_USERNAME = os.environ.get("KIBANA_USERNAME") or os.environ.get("ES_USERNAME")
KIBANA_PASSWORD = os.environ.get("KIBANA_PASSWORD") or os.environ.get("ES_PASSWORD")
KIBANA_OBJECTS = ""  # empty: the saved objects shipped with the package (indexer/elastic/kibana_objects.ndjson)

# --- Retention (monitor forget --expired; the scheduler once a day); posts: INDEXER_RETENTION_DAYS
RETENTION_INCIDENTS_DAYS = 365.0  # closed incidents and fact-check items are deleted this long after closing (0: kept)
RETENTION_OUTBOX_DAYS = 30.0  # outbox records no receiver took, and the outboxes' quarantine lines (0: kept)
RETENTION_SPOOL_DAYS = 30.0  # the spool's rejected/ and quarantine/ files (0: kept)

# --- Scheduler (monitor schedule) ---------------------------------------------------------------
SCHEDULE_DETECT_INTERVAL = 300.0  # `monitor detect` at least this often (0: never); also after new items
SCHEDULE_DETECT_WORKER_RUNS = 100  # the detect worker is started afresh after this many runs (reads changed files)
SCHEDULE_HEARTBEAT = "var/scheduler.heartbeat"  # touched every loop, for health checks
SCHEDULE_INTERVALS = {"high": 30, "normal": 900, "low": 3600}  # seconds between runs, by priority
SCHEDULE_JITTER = 0.1  # each interval is stretched or shrunk by up to this share, at random
SCHEDULE_MAX_PARALLEL = 2  # crawl processes at once
SCHEDULE_RETENTION_INTERVAL = 86400.0  # seconds between `monitor forget --expired` runs (0: never)
SCHEDULE_RUN_DIR = "var/schedule"  # each source's last run: its log and stats
SCHEDULE_RUN_TIMEOUT = 3600.0  # a run longer than this is stopped
SCHEDULE_SPIKES_INTERVAL = 3600.0  # seconds between `monitor spikes` runs (0: never); one bucket
SCHEDULE_STOP_TIMEOUT = 600.0  # on SIGTERM, how long current runs may take to finish
SCHEDULE_TICK = 1.0  # seconds between the scheduler's turns

# --- OK.ru API (public groups) -----------------------------------------------------------------
OK_ACCESS_TOKEN = os.environ.get("OK_ACCESS_TOKEN") or ""  # an access token (or the application's "eternal" one)
OK_API_URL = "https://api.ok.ru/fb.do"
OK_APPLICATION_KEY = os.environ.get("OK_APPLICATION_KEY") or ""  # the application's public key
OK_PAGE_SIZE = 20  # topics per mediatopic.getTopics page
OK_REQUESTS_PER_SECOND = 2.0  # one request in flight, at most this many a second
OK_SECRET = os.environ.get("OK_SECRET") or ""  # the application's secret key: signs each call, never sent

# --- Sources: each source's health, judged at the end of its crawls (crawler/health) ------------
SOURCES_ALERT_AFTER = 3  # bad crawls in a row (failing, silent or degraded) before one alert; one more when good again
SOURCES_BASELINE_POSTS = 20  # posts a field's presence is learnt over before its absence counts
SOURCES_FAIL_EXIT = True  # `monitor crawl` exits 1 when a source is failing, silent or degraded (off: 0, still said)
SOURCES_FIELD_SHARE = 0.95  # a field on at least this share of a source's posts is one it "always has"
SOURCES_HEALTH_ENABLED = True  # judge and record each source's health in the store (off: neither, no alerts)
SOURCES_OUTBOX = "var/outbox/sources.jsonl"  # source alerts wait here until the webhook accepts them
SOURCES_SILENT_AFTER = 3  # ok crawls with posts before a crawl whose pages hold none counts as silence
SOURCES_TELEGRAM_OUTBOX = "var/outbox/sources-telegram.jsonl"  # ... and for the crises' Telegram chat
SOURCES_WEBHOOK_URL = os.environ.get("MONITOR_SOURCES_WEBHOOK_URL") or os.environ.get("MONITOR_WEBHOOK_URL")

# --- Weekly report (monitor report; the scheduler writes and sends last week's) -------------------
REPORT_DIR = "var/reports"  # weekly-<week>.html, .pdf, .json: what the workspace serves
REPORT_HOUR = 6  # hour (UTC) of REPORT_WEEKDAY from which the scheduler writes the last full week's report
REPORT_OUTBOX = "var/outbox/reports.jsonl"  # report messages wait here until the webhook accepts them
REPORT_TELEGRAM_OUTBOX = "var/outbox/reports-telegram.jsonl"  # ... and for the crises' Telegram chat (the PDF)
REPORT_TOP = 10  # incidents and stories listed as the week's largest
REPORT_TREND_WEEKS = 8  # weeks before the report's that its trend chart shows
REPORT_URL = os.environ.get("MONITOR_REPORT_URL") or ""  # where REPORT_DIR is served: messages link the report
REPORT_WEBHOOK_URL = os.environ.get("MONITOR_REPORT_WEBHOOK_URL") or os.environ.get("MONITOR_WEBHOOK_URL")
REPORT_WEEKDAY = 1  # ISO weekday (1 Monday ... 7 Sunday) the scheduler writes and sends the report; 0: never

# --- Redis (several crawl nodes) ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL")  # set: the shared limits live in Redis, for every node (pip extra [redis])

# --- Language identification --------------------------------------------------------------------
LANGUAGE_CANDIDATES = ["ru", "uk", "be", "en"]

# --- Rendered pages (scrapy-playwright with Debian's Chromium) ----------------------------------
RENDERED_CHROMIUM_ARGS: list[str] = []  # more Chromium switches (the tests' --host-resolver-rules)
RENDERED_CHROMIUM_PATH = "/usr/lib/chromium/chromium-headless-shell"
RENDERED_CHROMIUM_USER = "nobody"  # when the crawler is root, Chromium runs as this user, sandboxed (empty: as root, unsandboxed)
RENDERED_MAX_PAGES = 4  # browser pages open at once
RENDERED_TIMEOUT_MS = 30000

# --- Telegram public pages ----------------------------------------------------------------------
TELEGRAM_BASE_URL = "https://t.me/"
TELEGRAM_COMMENTS_LIMIT = 50
TELEGRAM_REQUESTS_PER_SECOND = 1.0

# --- VK API -------------------------------------------------------------------------------------
VK_API_URL = "https://api.vk.com/method/"
VK_API_VERSION = "5.199"
VK_BACKOFF_MAX = 60.0
VK_BACKOFF_START = 1.0
VK_PAGE_SIZE = 100
VK_REQUESTS_PER_SECOND = 3.0  # per token, VK's documented limit for user tokens
VK_RETRY_TIMES = 5
VK_TOKENS = [t.strip() for t in os.environ.get("VK_TOKENS", "").split(",") if t.strip()]

# --- Watchlist ----------------------------------------------------------------------------------
WATCHLIST = ""  # the sources to crawl; empty: the demo region's watchlist, shipped
WATCHLIST_BASE_URL = None  # overrides the watchlist's own base_url (the demo's replay site)

# --- Web workspace (`monitor web`) ---------------------------------------------------------------
WEB_HOST = "127.0.0.1"  # the address `monitor web` binds: this machine only, unless set (compose: 0.0.0.0)
WEB_PAGE_SIZE = 50  # incidents on one page of a queue
WEB_PORT = 8080
WEB_SECRET = os.environ.get("MONITOR_WEB_SECRET") or ""  # signs the CSRF tokens; empty: a new one at each start
WEB_SECURE_COOKIES = False  # mark the session and CSRF cookies Secure (on behind HTTPS)
WEB_SESSION_SECONDS = 8 * 3600  # a login lasts this long from sign-in, then the person signs in again
WEB_TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"  # the map's tile server; markers show without it
WEB_USERS_FILE = "var/web.db"  # staff accounts, the audit log and saved searches (SQLite), beside the data
