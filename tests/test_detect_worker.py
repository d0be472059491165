"""The scheduler's detect worker: loaded once, one answer per run, and never taking the scheduler down."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from crawler.detect_worker import Answer, DetectWorker, WorkerDied


def answer_of(worker: DetectWorker, timeout: float = 60.0) -> Answer:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = worker.poll()
        if answer is not None:
            return answer
        time.sleep(0.02)
    raise AssertionError("no answer from the detect worker")


def monitor_detect(store: str) -> list[str]:
    return [sys.executable, "-m", "monitor", "detect", "--store", store]


def test_the_worker_answers_every_run_from_one_loaded_process(tmp_path: Path) -> None:
    worker = DetectWorker(monitor_detect(f"sqlite:///{tmp_path / 'monitor.db'}"), tmp_path / "detect.log")
    try:
        worker.ask(time.monotonic())
        first = answer_of(worker)
        assert worker.process is not None
        pid = worker.process.pid
        worker.ask(time.monotonic())
        second = answer_of(worker)
        assert first.exit == 0 and first.summary.startswith("full: scored 0")  # a new store: one full run
        assert second.exit == 0 and second.summary.startswith("incremental: scored 0")
        assert worker.process.pid == pid and not worker.busy
    finally:
        worker.close()
    assert worker.process is None


def test_a_store_that_cannot_be_opened_is_one_failed_run_and_the_worker_goes_on(tmp_path: Path) -> None:
    worker = DetectWorker(monitor_detect("elasticsearch://nowhere"), tmp_path / "detect.log")
    try:
        for _ in range(2):
            worker.ask(time.monotonic())
            answer = answer_of(worker)
            assert answer.exit == 2 and "INDEXER_STORE_URL" in answer.lines[0]
        assert worker.process is not None and worker.process.poll() is None
    finally:
        worker.close()
    assert "Traceback" not in (tmp_path / "detect.log").read_text()


def test_the_worker_is_started_afresh_after_its_runs(tmp_path: Path) -> None:
    worker = DetectWorker(monitor_detect(f"sqlite:///{tmp_path / 'monitor.db'}"), tmp_path / "detect.log",
                          max_runs=1)
    try:
        pids = []
        for _ in range(2):
            worker.ask(time.monotonic())
            assert answer_of(worker).exit == 0
            assert worker.process is not None
            pids.append(worker.process.pid)
        assert pids[0] != pids[1]
    finally:
        worker.close()


def test_a_worker_that_dies_during_a_run_is_reported_and_replaced(tmp_path: Path) -> None:
    dies = [sys.executable, "-c", "import sys; sys.stdin.readline(); sys.stderr.write('boom'); sys.exit(3)"]
    worker = DetectWorker(dies, tmp_path / "detect.log")
    worker.ask(time.monotonic())
    with pytest.raises(WorkerDied) as died:
        answer_of(worker)
    assert died.value.returncode == 3 and not worker.busy
    worker.ask(time.monotonic())  # a new process takes the next run
    with pytest.raises(WorkerDied):
        answer_of(worker)
    assert (tmp_path / "detect.log.1").read_text() == "boom"  # the first one's last words are kept
    worker.close()


def test_reviewed_fakes_added_at_every_run_are_registered_once() -> None:
    from detector.fakes.narratives import Narrative, Registry
    from detector.text.lemmas import Lemmatizer

    registry = Registry([], Lemmatizer())
    reviewed = Narrative("story-1", "в городе отравили воду в водопроводе", debunk="https://example.org/1",
                         origin="review")
    for _ in range(3):  # a loaded worker reads the reviewed items again at each run
        registry.extend([reviewed])
    assert len(registry.narratives) == 1
    assert registry.match(registry.lemmatizer.lemmas("говорят отравили воду в водопроводе города")) is not None


def test_an_answer_says_how_many_changed_posts_wait_for_the_next_run(tmp_path: Path) -> None:
    answers = ('import sys\nfor n, _ in enumerate(sys.stdin):\n'
               '    print(\'{"run": %d, "exit": 0, "lines": ["incremental: scored 50"], "left": %d}\' % (n, 80 - 40 * n),'
               ' flush=True)')
    worker = DetectWorker([sys.executable, "-c", answers], tmp_path / "detect.log")
    try:
        lefts = []
        for _ in range(3):
            worker.ask(time.monotonic())
            lefts.append(answer_of(worker).left)
        assert lefts == [80, 40, 0]
    finally:
        worker.close()
