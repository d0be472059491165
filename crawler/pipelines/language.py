"""Set each item's ``language``; very short texts take their source's language.

Settings: ``LANGUAGE_CANDIDATES``. See ``crawler/language.py`` (and ``bench/language.py``) for
why this identifier and not langdetect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.language import LanguageIdentifier

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
        return cls(crawler, LanguageIdentifier(candidates, default=candidates[0]))

    def open_spider(self) -> None:
        self.identifier.load()

    def process_item(self, item: Post) -> Post:
        sources = getattr(self.crawler.spider, "sources", {})
        source = sources.get(item.source_id)
        default = source.language if source is not None else None
        item.language = self.identifier.detect(item.text, default=default)
        return item
