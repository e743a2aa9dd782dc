"""``crampwatch monitor`` with a memory probe: on SIGUSR1 it appends one JSON line to ``OUT`` (run on the event
loop's thread, between bytecodes, so it adds no thread and no allocator arena of its own):

- ``rss_kb`` / ``anon_kb``: VmRSS and RssAnon (``/proc/self/status``);
- ``arenas``: glibc's ``malloc_info`` per arena — ``system`` (bytes the arena holds from the kernel) and ``free``
  (bytes free inside it); arena 0 is the main (brk) heap, the others belong to threads;
- ``traced`` / ``traced_peak`` (with ``--trace``): tracemalloc's current size and its peak since the last line;
- ``outbox_high_water`` (since the last line), ``outbox``, ``published``, ``alerts``: the service's publisher;
  ``store_pending``: records its session store has queued and not yet written.

    python -m benchmarks.memdiag OUT.jsonl [--trace] monitor --broker mqtt://127.0.0.1 ...

``python -m benchmarks.bench_soak --memdiag OUT.jsonl`` runs its monitor this way and signals it after every minute
of event time (docs/performance.md, "The status publisher's RSS").
"""

from __future__ import annotations

import ctypes
import json
import re
import signal
import sys
import tempfile
import tracemalloc
from pathlib import Path
from types import FrameType
from typing import Any

_ARENA = re.compile(r'<heap nr="(\d+)">(.*?)</heap>', re.S)
_SYSTEM = re.compile(r'<system type="current" size="(\d+)"/>')
_FREE = re.compile(r'<total type="fast" count="\d+" size="(\d+)"/>\s*<total type="rest" count="\d+" size="(\d+)"/>')


def arenas() -> list[dict[str, int]]:
    """glibc's ``malloc_info`` per arena; empty where there is no glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        info, fopen, fclose = libc.malloc_info, libc.fopen, libc.fclose
    except (OSError, AttributeError):
        return []
    fopen.restype = ctypes.c_void_p
    fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    fclose.argtypes = [ctypes.c_void_p]
    info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    with tempfile.NamedTemporaryFile(suffix=".xml") as tmp:
        stream = fopen(tmp.name.encode(), b"w")
        info(0, stream)
        fclose(stream)
        xml = Path(tmp.name).read_text()
    found = []
    for nr, body in _ARENA.findall(xml):
        system, free = _SYSTEM.search(body), _FREE.search(body)
        found.append({
            "nr": int(nr),
            "system": int(system.group(1)) if system else -1,
            "free": int(free.group(1)) + int(free.group(2)) if free else -1,
        })  # fmt: skip
    return found


def _status_kb() -> dict[str, int]:
    fields = {"VmRSS": "rss_kb", "RssAnon": "anon_kb"}
    out: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in fields:
            out[fields[name]] = int(value.split()[0])
    return out


class Probe:
    """Writes one line per SIGUSR1 (see the module docstring)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.monitors: list[Any] = []

    def line(self) -> dict[str, Any]:
        rec: dict[str, Any] = {**_status_kb(), "arenas": arenas()}
        if tracemalloc.is_tracing():
            rec["traced"], rec["traced_peak"] = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
        if self.monitors:
            monitor = self.monitors[0]
            box = monitor._outbox
            rec.update(outbox_high_water=box.high_water, outbox=len(box.items))
            rec.update(published=monitor.counters["published"], alerts=monitor.counters["alerts"])
            if monitor.store is not None:
                rec.update(store_pending=monitor.store.pending())
            box.high_water = len(box.items)
        return rec

    def write(self, _signum: int, _frame: FrameType | None) -> None:
        with self.out.open("a") as f:
            f.write(json.dumps(self.line()) + "\n")

    def watch_monitors(self) -> None:
        """Keep every Monitor the command makes (its outbox is read at each line)."""
        from monitor.mqtt.service import Monitor

        made = Monitor.__init__
        monitors = self.monitors

        def init(monitor: Monitor, *args: Any, **kwargs: Any) -> None:
            made(monitor, *args, **kwargs)
            monitors.append(monitor)

        Monitor.__init__ = init  # type: ignore[method-assign, assignment]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    probe = Probe(Path(argv[0]))
    rest = argv[1:]
    if rest[0] == "--trace":
        tracemalloc.start()
        rest = rest[1:]
    probe.watch_monitors()
    signal.signal(signal.SIGUSR1, probe.write)
    from monitor.cli import main as cli

    return cli(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
