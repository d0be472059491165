"""One measurement in a child process of its own, under a memory and a time limit, so a size that
does not fit is reported ("did not finish under 6 GB") instead of taking the machine down.

Each child is started fresh (``spawn``): its peak RSS is its own, not the parent's, and no cache
warmed by an earlier measurement survives into the next. The child's private writable memory is
capped with ``RLIMIT_DATA`` (an allocation past it raises ``MemoryError``), and the parent polls
its RSS and stops it when it passes the limit or the time runs out.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

POLL = 0.05  # seconds between two looks at the child's RSS


@dataclass
class Outcome:
    """What one limited run gave: ``result`` (None when it did not finish) and its costs."""

    result: Any
    peak_mb: float  # the child's peak RSS: getrusage in the child, else the largest RSS polled
    seconds: float  # wall time of the whole child, start-up included
    stopped: str | None = None  # why it did not finish, as a line to print

    @property
    def finished(self) -> bool:
        return self.stopped is None


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """This process's resident set now."""
    return _rss_mb(os.getpid())


def run_limited(func: Callable[..., Any], *args: Any, max_gb: float, max_seconds: float) -> Outcome:
    """``func(*args)`` in a fresh child process; ``func`` must be a module-level function."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    limit = int(max_gb * 2**30)
    child = context.Process(target=_child, args=(send, func, args, limit), daemon=True)
    started = time.monotonic()
    child.start()
    send.close()
    polled = 0.0
    while True:
        if receive.poll(POLL):
            try:
                status, result, peak = receive.recv()
            except EOFError:  # it died before it could answer
                child.join()
                return Outcome(None, polled, time.monotonic() - started, f"died with exit code {child.exitcode}")
            child.join()
            seconds = time.monotonic() - started
            if status == "ok":
                return Outcome(result, peak, seconds)
            if status == "memory":
                return Outcome(None, max(peak, polled), seconds,
                               f"did not finish under {max_gb:g} GB (an allocation passed the limit after "
                               f"{seconds:.0f} s, peak RSS {max(peak, polled) / 1024:.1f} GB)")
            return Outcome(None, max(peak, polled), seconds, f"failed: {result}")
        rss = _rss_mb(child.pid)
        polled = max(polled, rss)
        elapsed = time.monotonic() - started
        why = (f"did not finish under {max_gb:g} GB (RSS {rss / 1024:.1f} GB after {elapsed:.0f} s)"
               if rss > limit / 2**20 else
               f"did not finish under {max_seconds:g} s (RSS {rss / 1024:.1f} GB then)"
               if elapsed > max_seconds else None)
        if why is not None:
            child.kill()
            child.join()
            return Outcome(None, polled, elapsed, why)


def _child(send: Any, func: Callable[..., Any], args: tuple[Any, ...], limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    try:
        result = func(*args)
    except MemoryError:
        send.send(("memory", None, peak_rss_mb()))
        return
    except Exception as exc:  # reported by the parent as this measurement's failure
        send.send(("error", f"{type(exc).__name__}: {exc}", peak_rss_mb()))
        return
    send.send(("ok", result, peak_rss_mb()))


def _rss_mb(pid: int | None) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def span(values: list[float], digits: int = 0) -> str:
    """``12`` or ``11–13``: the range of a figure over the rounds."""
    if not values:
        return "-"
    low, high = min(values), max(values)
    if round(low, digits) == round(high, digits):
        return f"{low:,.{digits}f}"
    return f"{low:,.{digits}f}–{high:,.{digits}f}"
