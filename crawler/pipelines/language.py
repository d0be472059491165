"""Set each item's ``language``; very short texts take their source's language.

Settings: ``LANGUAGE_CANDIDATES``. See ``crawler/language.py`` (and ``bench/language.py``) for
why this identifier and not langdetect.

Items get their language with their batch, when the index pipeline hands it to its writer
(``items_batched``, on the reactor thread, before anything reads or stores them), not one by one:
in a tight loop the fastText model stays in the CPU's cache (~3x faster per call than between
the crawl's other work) and the stage costs no per-item pass through Scrapy's pipeline chain
(bench/crawl.py). Item-scraped signal receivers therefore see items before their language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.language import LanguageIdentifier
from crawler.signals import items_batched

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from indexer.schema import Post


class LanguagePipeline:
    def __init__(self, crawler: Crawler, identifier: LanguageIdentifier) -> None:
        self.crawler = crawler
        self.identifier = identifier

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LanguagePipeline:
        candidates = tuple(crawler.settings.getlist("LANGUAGE_CANDIDATES"))
        pipeline = cls(crawler, LanguageIdentifier(candidates, default=candidates[0]))
        crawler.signals.connect(pipeline.identify, signal=items_batched)
        return pipeline

    def open_spider(self) -> None:
        self.identifier.load()

    def identify(self, items: list[Post]) -> None:
        sources = getattr(self.crawler.spider, "sources", {})
        detect = self.identifier.detect
        for item in items:
            source = sources.get(item.source_id)
            item.language = detect(item.text, default=source.language if source is not None else None)
