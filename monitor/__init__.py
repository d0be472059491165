"""The ``monitor`` command: crawl, search and the offline demo."""
