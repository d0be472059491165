"""The Scrapy project: spiders per platform, middlewares, pipelines, watchlist loading."""
