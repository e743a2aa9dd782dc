"""A session store holding simulated sessions (for the report and the dashboard's history; no tests here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.core.pipeline import run_offline
from monitor.store import Step, session_id
from monitor.store.sqlite import SqliteStore
from processors.profile import Profile
from simulators.frame import Frame


async def store_sessions(path: Path, runs: dict[tuple[str, str], tuple[list[Frame], Profile]]) -> dict[str, Any]:
    """Run each ``(squad, athlete)``'s frames through the offline pipeline and store its statuses and alerts
    as one finished session; ``{session id: OfflineResult}``."""
    out: dict[str, Any] = {}
    store = SqliteStore(str(path))
    await store.open()
    try:
        for (squad, athlete), (frames, profile) in runs.items():
            result = run_offline(frames, squad=squad, athlete=athlete, profile=profile)
            start = result.statuses[0]["session_start"]
            alerts = tuple(a.to_dict() for a in result.alerts)
            for i, status in enumerate(result.statuses):
                last = i == len(result.statuses) - 1
                store.record_step(
                    Step(
                        squad,
                        athlete,
                        None,
                        None,
                        None if last else start,
                        (status,),
                        tuple(a for a in alerts if status["t"] - 5 < a["t"] <= status["t"]),
                    )
                )
            out[session_id(squad, athlete, start)] = result
        assert await store.flush(10.0)
    finally:
        await store.close()
    return out
