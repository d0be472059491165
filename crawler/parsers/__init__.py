"""Pure extraction: platform responses in, :class:`~indexer.schema.Post` objects out.

Parsers never raise on bad input: each returns what it could read plus a list of ``problems``
(one line each), which the spider counts and logs with the source. Spiders only schedule requests.
"""
