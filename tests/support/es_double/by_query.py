"""``POST /<target>/_delete_by_query``, as Elasticsearch 8 runs it.

It takes a snapshot of what searches see (the documents as of the last refresh), then deletes
each match on the condition that it is still the version the snapshot saw (its ``_seq_no``): a
document written or deleted since is a version conflict. ``conflicts=abort`` (the default) stops
at the first one, answering 409 with it in ``failures`` (what was deleted before it stays
deleted); ``conflicts=proceed`` counts them in ``version_conflicts`` and goes on. ``refresh=true``
refreshes every index it touched, so searches see the deletions at once; without it they show
after the next refresh (on a near-real-time double). A request without a query is a 400, as is
``wait_for_completion=false`` (the double runs no tasks).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tests.support.es_double.common import EsError
from tests.support.es_double.query import check, compile_query
from tests.support.http_double import Response

if TYPE_CHECKING:
    from tests.support.es_double.index import Index

CONFLICTS = ("abort", "proceed")


def delete_by_query(indices: list[Index], body: dict[str, Any], params: dict[str, str],
                    near_real_time: bool) -> Response:
    started = time.monotonic()
    conflicts = params.get("conflicts", "abort")
    if conflicts not in CONFLICTS:
        raise EsError(400, "illegal_argument_exception",
                      f"conflicts may only be \"proceed\" or \"abort\" but was [{conflicts}]")
    if params.get("wait_for_completion") == "false":
        raise EsError(400, "illegal_argument_exception", "the test double runs delete_by_query as a task only to "
                                                         "completion (wait_for_completion=true)")
    query = body.get("query")
    if not query:
        raise EsError(400, "action_request_validation_exception", "Validation Failed: 1: query is missing;")
    check(query)
    refresh = params.get("refresh") in ("", "true")
    snapshot = [(index, doc_id, doc.seq_no) for index in indices
                for matcher in (compile_query(index.fields, query),)
                for doc_id, doc in sorted(index.searchable.items(), key=lambda pair: pair[1].seq_no)
                if matcher(doc_id, doc.source) is not None]  # in the order they were written, as a scroll reads
    deleted = version_conflicts = 0
    failures: list[dict[str, Any]] = []
    for index, doc_id, seq_no in snapshot:
        item = index.delete(doc_id, if_seq_no=seq_no, if_primary_term=1, visible=not near_real_time)
        if "error" not in item:
            deleted += 1
            continue
        version_conflicts += 1
        if conflicts == "abort":
            failures.append({"index": index.name, "id": doc_id, "cause": item["error"], "status": item["status"]})
            break
    if refresh:
        for index in indices:
            index.refresh()
    answer = {"took": int((time.monotonic() - started) * 1000), "timed_out": False, "total": len(snapshot),
              "deleted": deleted, "batches": 1 if snapshot else 0, "version_conflicts": version_conflicts,
              "noops": 0, "retries": {"bulk": 0, "search": 0}, "throttled_millis": 0, "requests_per_second": -1.0,
              "throttled_until_millis": 0, "failures": failures}
    return Response(409 if failures else 200, answer)
