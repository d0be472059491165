"""Set each item's ``language``; very short texts take their source's language.

Settings: ``LANGUAGE_CANDIDATES``. See ``crawler/language.py`` (and ``bench/language.py``) for why
this identifier: alphabet rules first, then fastText's small model, ~20-60 µs an item, so each item
is identified as it passes (a batch in a thread would cost more in hand-overs than it saves).
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
        self.languages: dict[str, str] = {}  # source id -> its language

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LanguagePipeline:
        candidates = tuple(crawler.settings.getlist("LANGUAGE_CANDIDATES"))
        return cls(crawler, LanguageIdentifier(candidates, default=candidates[0]))

    def open_spider(self) -> None:
        self.identifier.load()
        sources = getattr(self.crawler.spider, "sources", {})
        self.languages = {source_id: source.language for source_id, source in sources.items()}

    def process_item(self, item: Post) -> Post:
        item.language = self.identifier.detect(item.full_text, default=self.languages.get(item.source_id))
        return item
