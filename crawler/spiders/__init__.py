"""One spider per kind of source; ``name`` = the watchlist's ``platform``."""

from crawler.spiders.html import HtmlListingSpider
from crawler.spiders.ok import OkGroupSpider
from crawler.spiders.rendered import RenderedListingSpider
from crawler.spiders.rss import FeedSpider
from crawler.spiders.telegram import TelegramChannelSpider
from crawler.spiders.vk import VkWallSpider

SPIDERS = {s.platform: s for s in (VkWallSpider, TelegramChannelSpider, FeedSpider,
                                   HtmlListingSpider, RenderedListingSpider, OkGroupSpider)}

__all__ = ["SPIDERS", "FeedSpider", "HtmlListingSpider", "OkGroupSpider", "RenderedListingSpider",
           "TelegramChannelSpider", "VkWallSpider"]
