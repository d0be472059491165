"""A crawl process that lives as long as a test and crawls each time it is asked, in one reactor.

``monitor crawl`` is a process per crawl: a Python start and Scrapy's imports every time, seconds
each, and a simulated week crawls hundreds of times. The worker makes the same crawl
(:func:`crawler.process.crawl_in`, what ``run_crawl`` runs) for each request it reads on stdin, one
JSON line ``{"settings": {NAME: value}, "sources": [id, ...] | null}``, and answers one JSON line:
``{"sources": {id: {"posts", "comments", "errors"}}, "new": n, "updated": n}`` or ``{"error": text}``.
Its log (Scrapy's, at the ``LOG_LEVEL`` of the first request) goes to stderr.

    with CrawlWorker(log_path) as worker:
        worker.crawl({"INDEXER_STORE_URL": url, ...}, ["vk_podslushano"])
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]


class CrawlWorkerError(RuntimeError):
    """The worker could not crawl as asked (its message), or it died (the tail of its log)."""


class CrawlWorker:
    """The parent's side: start the worker, send a crawl, read its answer."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self._proc: subprocess.Popen[str] | None = None
        self._log_file: IO[bytes] | None = None

    def __enter__(self) -> CrawlWorker:
        self._log_file = self.log.open("wb")
        self._proc = subprocess.Popen([sys.executable, "-m", "tests.support.crawl_worker"], cwd=ROOT, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log_file,
                                      env={**os.environ, "PYTHONWARNINGS": "ignore"})
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc.stdout.close()
        if self._log_file is not None:
            self._log_file.close()

    def start(self, settings: dict[str, Any], sources: list[str] | None = None) -> None:
        """Ask for a crawl; :meth:`result` waits for it (so two workers can crawl at once)."""
        assert self._proc is not None and self._proc.stdin is not None, "use the worker in a with block"
        self._proc.stdin.write(json.dumps({"settings": settings, "sources": sources}) + "\n")
        self._proc.stdin.flush()

    def result(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            tail = self.log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise CrawlWorkerError(f"the crawl worker exited ({self._proc.wait()}); its log ends:\n{tail}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise CrawlWorkerError(answer["error"])
        return answer

    def crawl(self, settings: dict[str, Any], sources: list[str] | None = None) -> dict[str, Any]:
        self.start(settings, sources)
        return self.result()


def _answer(report: Any) -> dict[str, Any]:
    """What the parent needs of a :class:`~crawler.process.CrawlReport`, as JSON."""
    totals = {"new": 0, "updated": 0}
    for stats in report.stats.values():
        totals["new"] += int(stats.get("indexer/new", 0))
        totals["updated"] += int(stats.get("indexer/updated", 0))
    sources = {r.source.id: {"posts": r.posts, "comments": r.comments, "errors": r.errors} for r in report.sources}
    return {"sources": sources, "skipped": report.skipped, **totals}


def main() -> None:
    """Install the reactor the crawler's settings name, then crawl each request read on stdin."""
    from scrapy.utils.log import configure_logging
    from scrapy.utils.reactor import install_reactor

    from crawler import settings as defaults

    install_reactor(defaults.TWISTED_REACTOR)
    from scrapy.crawler import CrawlerRunner
    from twisted.internet import reactor as installed
    from twisted.internet import threads

    from crawler.process import crawl_in, project_settings

    reactor: Any = installed  # the asyncio reactor: its type is not the interfaces' union

    def crawl(request: dict[str, Any]) -> Any:
        runner = CrawlerRunner(project_settings(request["settings"]))
        return crawl_in(runner, request.get("sources")).addCallback(_answer)

    def serve() -> None:
        logging_set = False
        for line in sys.stdin:
            request = json.loads(line)
            if not logging_set:
                configure_logging({"LOG_LEVEL": request["settings"].get("LOG_LEVEL", "WARNING")})
                logging_set = True
            try:
                answer = threads.blockingCallFromThread(reactor, crawl, request)
            except Exception as exc:  # the parent shows it; the worker stays up for the next request
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
        reactor.callFromThread(reactor.stop)

    reactor.callInThread(serve)
    reactor.run(installSignalHandlers=False)


if __name__ == "__main__":
    main()
