"""What Scrapy's per-response callback check would have said (WARN_ON_GENERATOR_RETURN_VALUE is
off in our settings: it re-reads the source of a callback on every response)."""

from __future__ import annotations

import inspect

import pytest
from scrapy.utils.misc import is_generator_with_return_value

from crawler.spiders import SPIDERS


@pytest.mark.parametrize("spider", sorted(SPIDERS.values(), key=lambda s: s.name), ids=lambda s: s.name)
def test_no_generator_callback_returns_a_value(spider: type) -> None:
    generators = [f for _, f in inspect.getmembers(spider, inspect.isgeneratorfunction)]
    assert generators  # the spiders' callbacks are generators: the check has something to read
    assert not [f.__qualname__ for f in generators if is_generator_with_return_value(f)]
