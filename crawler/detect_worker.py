"""The scheduler's detect worker: one ``monitor detect --serve`` kept running between runs.

A fresh ``monitor detect`` spends seconds importing and loading its models, and every word form
it meets is new to its lemma cache; the worker pays that once. The scheduler asks for a run with
one line on the worker's stdin and reads one JSON line back (:meth:`DetectWorker.poll`), never
blocking its loop. The worker is started again after ``max_runs`` runs (so a changed model or
staff file is read within that many runs) and whenever it exits.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence


@dataclass
class Answer:
    """What one run of the worker said: exit code, its lines, and how long it took inside."""

    exit: int
    lines: list[str]
    seconds: float
    left: int = 0  # changed posts beyond what one run reads: the next run should come at once

    @property
    def summary(self) -> str:
        return next((line for line in reversed(self.lines) if "scored" in line), "; ".join(self.lines) or "no summary")


class WorkerDied(Exception):
    """The worker exited while a run was asked of it (its log says why)."""

    def __init__(self, returncode: int | None) -> None:
        super().__init__(f"the detect worker exited with {returncode} during a run")
        self.returncode = returncode


class DetectWorker:
    def __init__(self, command: Sequence[str], log: Path, *, max_runs: int = 100,
                 env: Mapping[str, str] | None = None) -> None:
        self.command = list(command)
        self.env = dict(env) if env is not None else None  # None: this process's environment
        self.log = log
        self.max_runs = max(1, max_runs)
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0  # asked of the current process
        self.asked_at: float | None = None  # when the run in progress was asked for
        self._buffer = b""

    @property
    def busy(self) -> bool:
        return self.asked_at is not None

    def ask(self, now: float) -> None:
        """Ask for one run, starting the worker first when it is not running or has done its runs."""
        if self.busy:
            raise RuntimeError("a detect run is already in progress")
        if self.process is not None and (self.process.poll() is not None or self.runs >= self.max_runs):
            self.close()
        if self.process is None:
            self._start()
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write(b"run\n")
            self.process.stdin.flush()
        except OSError:  # it died between two runs: the next ask starts another
            self.close()
            raise WorkerDied(None) from None
        self.runs += 1
        self.asked_at = now

    def poll(self) -> Answer | None:
        """The answer of the run in progress once it is there; None while it runs. Raises
        :class:`WorkerDied` when the worker exited instead of answering."""
        if self.process is None or not self.busy:
            return None
        assert self.process.stdout is not None
        while b"\n" not in self._buffer:
            try:
                chunk = os.read(self.process.stdout.fileno(), 65536)
            except BlockingIOError:
                return None
            if not chunk:  # EOF: the worker is gone
                code = self.process.wait()
                self.close()
                raise WorkerDied(code)
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        self.asked_at = None
        try:
            answer: dict[str, Any] = json.loads(line)
            return Answer(int(answer["exit"]), [str(x) for x in answer.get("lines") or []],
                          float(answer.get("seconds") or 0.0), int(answer.get("left") or 0))
        except (ValueError, KeyError, TypeError):
            return Answer(1, [line.decode("utf-8", "replace")], 0.0)

    def close(self, timeout: float = 30.0) -> None:
        """End the worker: EOF on its stdin ends it after the run in progress; past ``timeout``, it is
        stopped."""
        process, self.process = self.process, None
        self.asked_at, self._buffer, self.runs = None, b"", 0
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
        except OSError:  # a worker that died leaves a broken pipe
            pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def _start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        if self.log.exists():  # the last worker's log (a crash's traceback) stays one start longer
            self.log.replace(self.log.with_name(self.log.name + ".1"))
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([*self.command, "--serve"], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=log, env=self.env)
        assert self.process.stdout is not None
        os.set_blocking(self.process.stdout.fileno(), False)
        self.runs = 0
