"""The session store's record queue when the store is failing: CPU per record queued while it fills, and per
record once it is full (each new record then drops one). No database: the store is never opened.

    python -m benchmarks.bench_store_queue [--limit 200000] [--beyond 2000]

Prints one JSON line. Before ``monitor.store.queue`` a full queue searched itself twice for a victim on every
record: ~20 ms a record at 200,000 queued, which stalled the event loop exactly while the store was failing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from monitor.store.base import Step
from monitor.store.sqlite import SqliteStore


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=200_000, help="the store's queue_limit")
    p.add_argument("--beyond", type=int, default=2_000, help="records queued once it is full")
    args = p.parse_args(argv)
    store = SqliteStore(Path("never-opened.db"), queue_limit=args.limit)
    step = Step("s", "a", "hr", b'{"t": 1, "v": 150}', 1.0)
    t0 = time.process_time()
    for _ in range(args.limit):
        store.record_step(step)
    fill = time.process_time() - t0
    t0 = time.process_time()
    for _ in range(args.beyond):
        store.record_step(step)
    beyond = time.process_time() - t0
    print(json.dumps({
        "limit": args.limit,
        "fill_us_per_record": round(fill / args.limit * 1e6, 2),
        "full_us_per_record": round(beyond / args.beyond * 1e6, 2),
        "dropped": store.counters["dropped"],
        "pending": store.pending(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
