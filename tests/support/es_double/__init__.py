"""An Elasticsearch test double: the endpoints the project uses, in the shapes and with the limits
Elasticsearch 8 documents.

It answers over real HTTP, with the ``X-Elastic-Product`` header the official client checks, so
the store is tested through the real client and transport. It keeps indices, aliases, composable
index templates (with their component templates and aliases), ILM policies and documents in
memory, and plays what matters at size:

- limits: ``from + size`` over ``index.max_result_window`` (10,000) is a 400 "Result window is too
  large"; more than ``search.max_buckets`` (65,536) buckets in a response, or a composite ``size``
  above it, a 400 ``too_many_buckets_exception``; a ``terms`` query over ``index.max_terms_count``
  (65,536) values a 400; a request body over ``http.max_content_length`` (100mb) a 413 with an
  empty body, the connection closed. Each is an attribute a test may lower
  (``max_result_window``, ``max_buckets``, ``max_content_length``);
- points in time (``POST /<index>/_pit?keep_alive=``, searches with ``pit`` and no index, the
  implicit ``_shard_doc`` tiebreaker, ``DELETE /_pit``; an unknown, closed or expired id is a 404
  ``search_context_missing_exception``, closing one a 404 with ``num_freed: 0``), ``search_after``,
  and ``track_total_hits`` (exact up to 10,000 by default);
- aggregations: ``terms``, ``date_histogram``, and ``composite`` paged with ``after``/``after_key``;
- documents with ``_seq_no``/``_primary_term`` (returned by writes, GET, mget, and searches with
  ``seq_no_primary_term``), optimistic concurrency (``if_seq_no``/``if_primary_term`` → 409
  ``version_conflict_engine_exception``), ``create``, partial updates (``_update`` with ``doc``,
  ``doc_as_upsert``, ``upsert``, ``noop``; bulk ``update`` actions);
- near-real-time reads with ``near_real_time=True``: searches see the documents as of the last
  refresh (``_refresh``, or a write with ``refresh=true``/``wait_for``), GET sees every write at
  once. Without it every write is searchable at once, as if each waited for a refresh;
- security, when made with ``users`` or ``api_keys``: a request without valid basic or API-key
  credentials is a 401 ``security_exception`` with the ``WWW-Authenticate`` challenge;
- ``_delete_by_query`` on the documents a search sees, each deleted only if unchanged since
  (``conflicts=abort|proceed``, ``version_conflicts``, ``deleted``, ``refresh``; ``by_query.py``);
- faults: whole-request errors (429, 503, any status, after N requests), per-item bulk failures,
  dropped connections, a stopped listener (connections refused); and hooks that change the data
  between two requests (a concurrent writer).

Where it differs from Elasticsearch: text is analysed with the project's Snowball stems
(``indexer.text``) in place of the ``russian`` analyzer, and scores count the query words found
(not BM25); the live suite (``pytest -m live_es``) checks the real ones. There is one shard per
index and no replicas (``_primary_term`` is always 1); a document's ``_shard_doc`` is its index's
position among those searched and its place in the index. Sorting on an unmapped field guesses
its type instead of failing; a date histogram has no ``offset``, ``time_zone``, ``format`` or
calendar months; ``wait_for`` refreshes at once instead of waiting for the refresh interval (there
is no periodic refresh: only an explicit one makes writes searchable); ``keep_alive`` is honoured
but there is no limit on open points in time; a malformed point-in-time id is a 404 (Elasticsearch
answers 400), and Elasticsearch 8.x releases that answer 200 to closing a gone point in time
exist. The 413 is answered after the whole body is read: a real node may close the connection
while the client is still sending, which the client sees as a connection error. Error bodies
carry ``type``, ``reason`` and ``root_cause`` but not every field Elasticsearch adds.
"""

from tests.support.es_double.double import ElasticsearchDouble

__all__ = ["ElasticsearchDouble"]
