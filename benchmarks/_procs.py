"""The suite's child processes: consumers, the load generator and the offline benchmarks, each speaking JSON lines
on stdout (``benchmarks/consumers.py``, ``benchmarks/loadgen.py``, ``benchmarks/offline.py``)."""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class Proc:
    """A child Python process speaking JSON lines on stdout."""

    def __init__(self, *args: str) -> None:
        self.p = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            with contextlib.suppress(ValueError):
                self.lines.put(json.loads(line))
        self.lines.put({"eof": True})

    def next(self, key: str, timeout: float = 900.0) -> dict[str, Any]:
        """The next line that has ``key`` (lines without it are dropped; see :meth:`progress`)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if key in line:
                return line
            if "eof" in line:
                raise RuntimeError(f"{self.p.args} ended without {key!r}")

    def progress(self) -> Iterator[dict[str, Any]]:
        while True:
            line = self.lines.get(timeout=900)
            if "eof" in line:
                return
            yield line

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self.p.stdin is not None
            self.p.stdin.close()

    def end(self) -> None:
        self.close()
        try:
            self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def consumer(kind: str, port: int, *flags: str) -> Proc:
    proc = Proc("benchmarks.consumers", kind, "--port", str(port), *flags)
    proc.next("ready", timeout=60)
    return proc


def loadgen(port: int, *flags: str) -> dict[str, Any]:
    proc = Proc("benchmarks.loadgen", "--port", str(port), *flags)
    result = proc.next("published")
    proc.end()
    return result


def offline(*flags: str) -> dict[str, Any]:
    proc = Proc("benchmarks.offline", *flags)
    result = proc.next({"tick": "ticks", "rss": "athletes", "analyze": "x_real_time"}[flags[0]], timeout=3600)
    proc.end()
    return result
