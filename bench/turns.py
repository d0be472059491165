"""What one shared turn costs a request: ``FileLimiter.take`` (flock + read + write of a few bytes)
alone and with other processes taking the same key at once, and ``RedisLimiter.take`` (one Lua
call) against a local redis-server when one is installed. Interval 0: every call takes the turn,
so each figure is the cost of a turn, not a wait. Left out: the wait itself (the limit's purpose).

    python bench/turns.py [--calls 20000] [--processes 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from crawler.limits.files import FileLimiter


def file_turns(directory: str, calls: int) -> float:
    """Microseconds per turn."""
    limiter = FileLimiter(Path(directory))
    started = time.perf_counter()
    for _ in range(calls):
        limiter.take_now("slot-bench", 1e-9)
    return (time.perf_counter() - started) / calls * 1e6


def redis_turns(url: str, calls: int) -> float:
    from crawler.limits.redis import RedisLimiter

    async def run() -> float:
        limiter = RedisLimiter.from_url(url)
        await limiter.take("slot-bench", 0.001)
        started = time.perf_counter()
        for _ in range(calls):
            await limiter.take("slot-bench", 0.001)
        elapsed = time.perf_counter() - started
        await limiter.close()
        return elapsed / calls * 1e6
    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--processes", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"file, one process:      {file_turns(tmp, args.calls):6.1f} µs per turn")
        with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
            each = pool.starmap(file_turns, [(tmp, args.calls)] * args.processes)
        print(f"file, {args.processes} processes at once: {max(each):6.1f} µs per turn (slowest process)")
        server = shutil.which("redis-server")
        if server is None:
            print("redis: no redis-server installed, not measured")
            return
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        proc = subprocess.Popen([server, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                 "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            print(f"redis on 127.0.0.1:     {redis_turns(f'redis://127.0.0.1:{port}/0', args.calls // 4):6.1f} "
                  "µs per turn (a round trip; over a network add its latency)")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
