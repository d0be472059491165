"""The embedded store's tables and indexes, how a connection is set up, and the move of a file made
by an earlier version to them (once, in place, the first time it is opened).

``PRAGMA user_version`` says which layout a file has: 0, the first one (rowids in the order posts
were stored; every file made before the version number existed); 2, time-ordered keys; 3, the
same with what each incident holds indexed (``incident_keys``); 4, the same with the erasure log
(``erasures``: who was forgotten, when, by whom, how many items; its selectors are the crawl's
exclusion list); :data:`VERSION` is the newest.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Iterable, Iterator

import orjson

from indexer.exceptions import StoreUnavailable
from indexer.schema import Incident
from indexer.sqlite import keys
from indexer.store import holding_keys

logger = logging.getLogger(__name__)

VERSION = 4
_CHECKPOINT_PAGES = 16_384  # of 4 KiB: 64 MiB of WAL between checkpoints

# ``rowid`` is the creation time (keys.py). ``text`` is read from the document, not kept twice.
# The columns after ``doc`` are what the detector found, kept apart for the indexes below.
_POSTS = """CREATE TABLE {name} (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    source_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id TEXT,
    thread_root TEXT,
    created_at REAL,
    crawled_at REAL,
    changed_at REAL,
    doc TEXT NOT NULL,
    is_complaint INTEGER,
    sector TEXT,
    municipality TEXT,
    district TEXT,
    street TEXT,
    cluster_id TEXT,
    text TEXT GENERATED ALWAYS AS (doc ->> '$.text') VIRTUAL
)"""
POST_COLUMNS = ("rowid", "id", "platform", "source_id", "kind", "parent_id", "thread_root", "created_at",
                "crawled_at", "changed_at", "doc", "is_complaint", "sector", "municipality", "district",
                "street", "cluster_id")
# Every index ends in the rowid, so each lists its rows oldest to newest within one value. The
# detector's columns are empty when a post is stored: their indexes hold only the rows that have
# a value, so the crawl's write skips them.
_POST_INDEXES = """
CREATE INDEX posts_platform ON posts (platform);
CREATE INDEX posts_source ON posts (source_id, kind);
CREATE INDEX posts_created ON posts (created_at);
CREATE INDEX posts_changed ON posts (changed_at);
CREATE INDEX posts_thread ON posts (thread_root) WHERE thread_root IS NOT NULL;
CREATE INDEX posts_cluster ON posts (cluster_id, created_at) WHERE cluster_id IS NOT NULL;
CREATE INDEX posts_complaints ON posts (created_at, sector, municipality, district, street) WHERE is_complaint = 1;
"""
_FTS = "CREATE VIRTUAL TABLE {name} USING fts5 (stems, tokenize = 'unicode61')"
# Each LSH band key of a post (Post.bands, as an integer): a new post's earlier near-copies in one look-up.
_BANDS = "CREATE TABLE {name} (band INTEGER NOT NULL, post INTEGER NOT NULL, PRIMARY KEY (band, post)) WITHOUT ROWID"
_OTHERS = """
CREATE TABLE IF NOT EXISTS cursors (source_id TEXT PRIMARY KEY, cursor TEXT NOT NULL, updated_at REAL);
CREATE TABLE IF NOT EXISTS source_health (source_id TEXT PRIMARY KEY, health TEXT NOT NULL, updated_at REAL);
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    status TEXT NOT NULL,
    sector TEXT,
    municipality TEXT,
    district TEXT,
    opened_at REAL NOT NULL,
    deadline REAL,
    doc TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS incidents_queue ON incidents (queue, status, deadline);
CREATE INDEX IF NOT EXISTS incidents_deadline ON incidents (deadline);
-- a queue in find_incidents' order, its status beside: any page of any status without a sort
CREATE INDEX IF NOT EXISTS incidents_order ON incidents (queue, deadline IS NULL, deadline, opened_at DESC, status);
CREATE TABLE IF NOT EXISTS incident_keys (key TEXT NOT NULL, incident TEXT NOT NULL,
                                          PRIMARY KEY (key, incident)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS incident_keys_incident ON incident_keys (incident);
CREATE TABLE IF NOT EXISTS erasures (id TEXT PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
                                     doc TEXT NOT NULL);
"""
# source_health: each source's crawl outcomes as crawler/health judged them (made on first write in
# a file of this layout made before the table existed).
SOURCE_HEALTH = ("CREATE TABLE IF NOT EXISTS source_health (source_id TEXT PRIMARY KEY, health TEXT NOT NULL,"
                 " updated_at REAL)")
# incident_keys: what each incident holds (indexer.store.holding_keys: its posts, clusters, street),
# so the incidents a new post can join are found without reading every open one.
# Where the detector found a field, by column: the path in the document.
FINDING_PATHS = {"is_complaint": "$.is_complaint", "sector": "$.sector",
                 "municipality": "$.territory.municipality", "district": "$.territory.district",
                 "street": "$.territory.street", "cluster_id": "$.cluster_id"}


def connect(path: str, cache_mb: int) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with the file at :data:`VERSION`.

    WAL lets searches read while the crawl writes; synchronous=NORMAL syncs at checkpoints only (a
    power cut may lose the last commits, never the file), and a checkpoint every 64 MiB of WAL
    rather than SQLite's 4 MiB writes each page a run of batches touched once, not once a batch
    (at 300,000 posts, commits took half as long); the page cache holds the indexes the writes
    touch, so a large store does not reread them for every batch.
    """
    # Writers may hand the store to one worker thread (IndexPipeline does); calls never overlap.
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False,
                         cached_statements=256)
    try:
        _set_up(db, cache_mb)
    except BaseException:
        db.close()
        raise
    return db


def _set_up(db: sqlite3.Connection, cache_mb: int) -> None:
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(f"PRAGMA wal_autocheckpoint = {_CHECKPOINT_PAGES}")
    db.execute(f"PRAGMA journal_size_limit = {_CHECKPOINT_PAGES * 4096}")
    db.execute(f"PRAGMA cache_size = {-1024 * int(cache_mb)}")
    db.execute("PRAGMA temp_store = MEMORY")
    if db.execute("PRAGMA user_version").fetchone()[0] != VERSION:
        db.execute("BEGIN IMMEDIATE")
        try:
            _upgrade(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _upgrade(db: sqlite3.Connection) -> None:
    found = db.execute("PRAGMA user_version").fetchone()[0]
    if found == VERSION:  # another process did it meanwhile
        return
    if found > VERSION:
        raise StoreUnavailable(f"the store's layout is version {found}, newer than this program's ({VERSION}): "
                               "upgrade the program")
    _statements(db, _OTHERS)  # not executescript: it would commit the transaction first
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    incident_columns = {row[1] for row in db.execute("PRAGMA table_xinfo(incidents)")}
    if "version" not in incident_columns:  # files made before staff changes were versioned
        db.execute("ALTER TABLE incidents ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
    started = time.monotonic()
    moved = None
    if found < 2:
        moved = _rekey(db, bands="post_bands" in tables) if "posts" in tables else None
        if moved is None:
            db.execute(_POSTS.format(name="posts"))
            db.execute(_FTS.format(name="posts_fts"))
            db.execute(_BANDS.format(name="post_bands"))
        _statements(db, _POST_INDEXES)
    if found < 3 and "incidents" in tables:
        _index_incidents(db)
    db.execute(f"PRAGMA user_version = {VERSION}")
    if moved is not None:
        logger.info("Moved %d posts in %.0f s; the old layout's pages are free pages now, reused by new "
                    "posts (VACUUM returns them to the disk at once)", moved, time.monotonic() - started)


def _index_incidents(db: sqlite3.Connection) -> None:
    """Fill ``incident_keys`` from the incidents a file of an earlier layout holds."""
    for incident_id, doc in db.execute("SELECT id, doc FROM incidents").fetchall():
        keys = holding_keys(Incident.from_dict(orjson.loads(doc)))
        db.executemany("INSERT OR IGNORE INTO incident_keys (key, incident) VALUES (?, ?)",
                       [(key, incident_id) for key in keys])


def _statements(db: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _rekey(db: sqlite3.Connection, bands: bool) -> int:
    """Rewrite a first-layout file: every post gets its time key (keys.py), and the full-text
    index and the band keys follow it; the detector's columns are filled from the documents.
    Returns how many posts moved."""
    count = db.execute("SELECT count(*) FROM posts").fetchone()[0]
    logger.info("Moving the store's %d posts to time-ordered keys (once: about 90 s a million)", count)
    columns = {row[1] for row in db.execute("PRAGMA table_xinfo(posts)")}
    db.execute("CREATE TEMP TABLE rekey (new INTEGER PRIMARY KEY, old INTEGER NOT NULL)")
    rows = db.execute("SELECT rowid, created_at FROM posts ORDER BY created_at, rowid")
    db.executemany("INSERT INTO temp.rekey (new, old) VALUES (?, ?)", _new_keys(rows))
    db.execute("CREATE INDEX temp.rekey_old ON rekey (old)")
    values = [f"json_extract(p.doc, '{FINDING_PATHS[name]}')" if name in FINDING_PATHS else
              "p.crawled_at" if name == "changed_at" and name not in columns else f"p.{name}"
              for name in POST_COLUMNS[1:]]
    db.execute(_POSTS.format(name="posts_next"))
    db.execute(f"INSERT INTO posts_next ({', '.join(POST_COLUMNS)}) SELECT r.new, {', '.join(values)}"
               " FROM temp.rekey AS r JOIN posts AS p ON p.rowid = r.old")
    db.execute(_FTS.format(name="posts_fts_next"))
    db.execute("INSERT INTO posts_fts_next (rowid, stems) SELECT r.new, f.stems FROM temp.rekey AS r"
               " JOIN posts_fts AS f ON f.rowid = r.old")
    db.execute(_BANDS.format(name="post_bands_next"))
    if bands:
        db.execute("INSERT INTO post_bands_next (band, post) SELECT b.band, r.new FROM post_bands AS b"
                   " JOIN temp.rekey AS r ON r.old = b.post")
        db.execute("DROP TABLE post_bands")
    for old in ("posts", "posts_fts"):
        db.execute(f"DROP TABLE {old}")
    for name in ("posts", "posts_fts", "post_bands"):
        db.execute(f"ALTER TABLE {name}_next RENAME TO {name}")
    db.execute("DROP TABLE temp.rekey")
    return int(count)


def _new_keys(rows: Iterable[tuple[int, float | None]]) -> Iterator[tuple[int, int]]:
    """(new key, old rowid) for rows in creation order (undated first, as SQL orders NULLs)."""
    last = keys.UNDATED - 1
    for old, created_at in rows:
        start, end = keys.region(created_at)
        key = max(start, last + 1)
        if key >= end:
            raise StoreUnavailable(f"more than {keys.PER_MS:,} posts created in one millisecond "
                                   f"(created_at={created_at}): the store cannot order them")
        last = key
        yield key, old
