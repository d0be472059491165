"""Command start-up: how long `monitor` takes before it has done anything worth waiting for.

Each command runs as a user runs it (a child process of the installed interpreter, from a temp
directory outside the checkout, on an empty SQLite store), ``--runs`` times; the figures are
medians, and the baseline is the interpreter alone (``python -c pass``) in the same run. Goal:
``monitor --help`` and ``monitor search`` under 0.3 s. Left out: the first run after a reboot
(the OS page cache; these are warm starts) and what each command then does with a large store.

    python bench/start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

COMMANDS = {
    "python -c pass (baseline)": ["-c", "pass"],
    "monitor --help": ["-m", "monitor", "--help"],
    "monitor search вода": ["-m", "monitor", "search", "вода", "--store", "STORE"],
    "monitor queue routing": ["-m", "monitor", "queue", "routing", "--store", "STORE"],
    "monitor check": ["-m", "monitor", "check"],
    "monitor score (one line)": ["-m", "monitor", "score"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = f"sqlite:///{Path(tmp) / 'monitor.db'}"
        times: dict[str, float] = {}
        for name, argv in COMMANDS.items():
            argv = [store if a == "STORE" else a for a in argv]
            runs = []
            for _ in range(args.runs):
                started = time.perf_counter()
                subprocess.run([sys.executable, *argv], cwd=tmp, capture_output=True,
                               input='{"id": "1", "text": "Нет воды на Речной, 14"}\n', text=True, check=False)
                runs.append(time.perf_counter() - started)
            times[name] = median(runs)
    base = times["python -c pass (baseline)"]
    print(f"{'command':<28} {'median s':>9} {'x baseline':>11}")
    for name, seconds in times.items():
        print(f"{name:<28} {seconds:>9.3f} {seconds / base:>11.1f}")


if __name__ == "__main__":
    main()
