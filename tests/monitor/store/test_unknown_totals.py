"""Stored sessions of a heart-rate-only athlete (no distance) and a pace-only athlete (no TRIMP): the store keeps
NULL, ``crampwatch sessions`` and ``crampwatch report`` print "-" for the unknown value and the real one for the
other (they printed "0.00 km" and a TRIMP of 0 before)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from monitor.cli import main
from simulators.frame import Frame
from tests.monitor.store_helpers import store_sessions
from tests.monitor.test_report import numbers_of, report_page
from tests.runs import EASY_PROFILE, T0

SECONDS = 300


def _cell(page: str, label: str) -> str:
    m = re.search(rf"<span>{label}</span><b>([^<]*)</b>", page)
    assert m is not None, label
    return m.group(1)


async def test_sessions_and_report_show_unknown_totals_as_a_dash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "sessions.db"
    runs = {
        ("club", "hronly"): ([Frame(t=T0 + i, hr=150.0 + (i % 7)) for i in range(SECONDS)], EASY_PROFILE),
        ("club", "paceonly"): ([Frame(t=T0 + i, pace=300.0, cadence=174.0) for i in range(SECONDS)], EASY_PROFILE),
    }
    stored = await store_sessions(db, runs)
    sid = {result.statuses[-1]["athlete"]: s for s, result in stored.items()}

    assert await asyncio.to_thread(main, ["sessions", "--store", str(db), "--json"]) == 0
    rows = {row["athlete"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["hronly"]["distance_m"] is None
    assert rows["paceonly"]["distance_m"] == pytest.approx(1000.0, rel=0.05)
    assert await asyncio.to_thread(main, ["sessions", "--store", str(db)]) == 0
    lines = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert "-" in lines[sid["hronly"]] and "km" not in lines[sid["hronly"]]
    assert "km" in lines[sid["paceonly"]]

    hr_page = await asyncio.to_thread(report_page, capsys, tmp_path / "hr.html", sid["hronly"], "--store", str(db))
    assert numbers_of(hr_page)["distance_m"] is None and _cell(hr_page, "Distance") == "-"
    assert numbers_of(hr_page)["trimp"] > 0 and _cell(hr_page, "TRIMP") != "-"
    pace_page = await asyncio.to_thread(
        report_page, capsys, tmp_path / "pace.html", sid["paceonly"], "--store", str(db)
    )
    assert numbers_of(pace_page)["trimp"] is None and _cell(pace_page, "TRIMP") == "-"
    assert _cell(pace_page, "Distance") in ("0.99 km", "1.00 km")
