"""The replay site: a local web server that plays a fictional region on every platform we crawl."""
