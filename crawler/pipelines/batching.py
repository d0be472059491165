"""Items in batches, for stages whose work costs about as much for one item as for hundreds.

A stage's ``process_item`` awaits :meth:`Batcher.add`: the item joins the open batch and waits for
it. One batch is worked on at a time, in an executor (a worker process, or a thread), so the
reactor stays free; while it runs, the next batch fills with what the crawl offers meanwhile, and
it is handed over as soon as the running one is done (group commit). With nothing running, the
open batch goes when the event loop has run every task that was ready: by then each response being
processed has offered its next items (Scrapy processes ``CONCURRENT_ITEMS`` of each response at
once), so no item waits on a timer. A full batch goes at once. Batches are thus as large as the
crawl's pace allows: a busy crawl makes few large ones (the work's fixed cost per batch is paid
rarely), a quiet one answers at once.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")


class Batcher(Generic[T, P, R]):
    """Collects items into batches: ``prepare(batch)`` on the event loop, then ``work(prepared)``
    in ``executor`` (a worker process needs ``work`` and what ``prepare`` returns to be picklable),
    then ``done(batch, result)`` on the event loop before the items move on."""

    def __init__(self, prepare: Callable[[list[T]], P], work: Callable[[P], R],
                 done: Callable[[list[T], R], None], *, executor: Executor | None = None,
                 max_size: int = 256) -> None:
        self.prepare = prepare
        self.work = work
        self.done = done
        self.executor = executor
        self.max_size = max_size
        self._batch: list[T] = []
        self._ready: asyncio.Future[None] | None = None
        self._flushing: asyncio.Handle | None = None
        self._running: set[asyncio.Future[None]] = set()
        self.batches = 0

    async def add(self, item: T) -> None:
        """Add ``item`` to the open batch and wait until its batch has been worked on; an error of
        ``work`` or ``done`` is raised here, for every item of the batch."""
        loop = asyncio.get_running_loop()
        if self._ready is None:
            self._ready = loop.create_future()
        ready = self._ready
        self._batch.append(item)
        if len(self._batch) >= self.max_size:
            self.flush()
        elif self._flushing is None and not self._running:
            self._flushing = loop.call_soon(self.flush)
        await ready  # every item of the batch awaits the same future

    def flush(self) -> None:
        """Hand the open batch to the executor now."""
        if self._flushing is not None:
            self._flushing.cancel()
            self._flushing = None
        batch, ready = self._batch, self._ready
        self._batch, self._ready = [], None
        if not batch or ready is None:
            return
        loop = asyncio.get_running_loop()
        try:
            running = loop.run_in_executor(self.executor, self.work, self.prepare(batch))
        except BaseException as exc:  # a broken executor: the items hear of it as of a failed batch
            running = loop.create_future()
            running.set_exception(exc)
        self._running.add(ready)
        self.batches += 1
        running.add_done_callback(lambda finished: self._finish(batch, finished, ready))

    def _finish(self, batch: list[T], finished: asyncio.Future[Any], ready: asyncio.Future[None]) -> None:
        self._running.discard(ready)
        try:
            self.done(batch, finished.result())
        except BaseException as exc:  # every waiting item gets the error, the crawl decides what to do
            ready.set_exception(exc)
        else:
            ready.set_result(None)
        if self._batch and not self._running:  # what gathered meanwhile goes now
            self.flush()

    async def drain(self) -> None:
        """Work the open batch and wait for every batch still running (the spider is closing)."""
        self.flush()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
