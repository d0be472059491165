"""The project's own Scrapy signals.

``items_to_store`` is sent by the index pipeline with each batch (``items``: a list of Posts) just
before the batch is written, on the writer thread. Stages that work best on many items at once
(the detector: one model call costs about as much for one item as for hundreds) connect to it
and fill the items in place; an error in a receiver is logged and the batch is stored anyway.

``items_batched`` is sent with the same list earlier, on the reactor thread, when the index
pipeline hands the batch to its writer: a receiver can start slow work on it there (the
detector's worker process) and finish it when ``items_to_store`` comes.
"""

items_batched = object()
items_to_store = object()
