"""Build the official client from a store URL and the ``INDEXER_ES_*`` settings.

Credentials come from settings that ``crawler/settings.py`` fills from the environment
(``ES_API_KEY``, or ``ES_USERNAME``/``ES_PASSWORD``, or a ``user:password@`` in the URL) and are
never logged: :func:`indexer.store.safe_url` drops them from every message. Over https the
cluster's certificate is always checked (against ``INDEXER_ES_CA_CERTS`` or the system's CAs)
unless ``INDEXER_ES_VERIFY_CERTS`` is false, which is logged as a warning at every connection. The transport retries
only a lost connection, once, and its per-retry traceback is silenced; status retries (429, 5xx)
are left to the bulk helper, which backs off. Answers are parsed with orjson: a page of 10,000
posts is ~10 MB of JSON, which the standard library parses ~3x slower.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

import orjson
from elasticsearch import Elasticsearch
from elasticsearch.serializer import CompatibilityModeJsonSerializer, JsonSerializer

from indexer.store import safe_url

logger = logging.getLogger(__name__)


class _FastJson(JsonSerializer):
    def loads(self, data: bytes) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:  # what orjson refuses (integers past 64 bits), json takes
            return super().loads(data)


class _FastCompatibleJson(CompatibilityModeJsonSerializer, _FastJson):
    """Answers of the ``compatible-with`` media type: what Elasticsearch sends the 8.x client."""


def connect(url: str, options: Mapping[str, Any]) -> Elasticsearch:
    # The transport logs each retry with a full traceback; the store says what failed in one line.
    logging.getLogger("elastic_transport.transport").setLevel(logging.ERROR)
    kwargs: dict[str, Any] = {
        "request_timeout": float(options.get("INDEXER_ES_TIMEOUT") or 30),
        "max_retries": 1,
        "retry_on_status": (),
        "retry_on_timeout": True,
        "serializers": {JsonSerializer.mimetype: _FastJson(),
                        CompatibilityModeJsonSerializer.mimetype: _FastCompatibleJson()},
    }
    if options.get("INDEXER_ES_API_KEY"):
        kwargs["api_key"] = options["INDEXER_ES_API_KEY"]
    elif options.get("INDEXER_ES_USERNAME"):
        kwargs["basic_auth"] = (options["INDEXER_ES_USERNAME"], options.get("INDEXER_ES_PASSWORD") or "")
    if options.get("INDEXER_ES_CA_CERTS"):
        kwargs["ca_certs"] = options["INDEXER_ES_CA_CERTS"]
    kwargs["verify_certs"] = verify_certs(options.get("INDEXER_ES_VERIFY_CERTS", True))
    if not kwargs["verify_certs"] and url.startswith("https:"):
        kwargs["ssl_show_warn"] = False  # said once here, not at every request
        logger.warning("%s: the certificate is not checked (INDEXER_ES_VERIFY_CERTS is false): anyone on the "
                       "network path can read the credentials and the data", safe_url(url))
    return Elasticsearch(url, **kwargs)


def verify_certs(value: Any) -> bool:
    """``INDEXER_ES_VERIFY_CERTS``: only an explicit false turns the check off."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("0", "false", "no", "off"):
        return False
    if text in ("", "1", "true", "yes", "on"):
        return True
    raise ValueError(f"INDEXER_ES_VERIFY_CERTS={value!r}: expected true or false")
