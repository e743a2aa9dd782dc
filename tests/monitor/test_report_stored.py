"""``crampwatch report SESSION``: what a stored session's report takes and shows — the flags only a FILE takes are
refused (they were silently ignored), and the max HR is the session's own maximum, not its 5-s statuses'."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from monitor.cli import main
from monitor.coach.live import LiveView
from monitor.core.router import Router
from monitor.core.wire import Topics, encode_frames, encode_profile, encode_session
from monitor.http import serve
from monitor.store.recorder import Recorder
from monitor.store.sqlite import SqliteStore
from simulators.frame import Frame
from tests.monitor.store_helpers import store_sessions
from tests.monitor.test_report import numbers_of
from tests.runs import EASY_PROFILE, easy_cool_run

TOPICS = Topics()


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("stored") / "sessions.db"
    ((sid, _),) = asyncio.run(store_sessions(db, {("club", "ann"): (easy_cool_run(3), EASY_PROFILE)})).items()
    return db, sid


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--plan", "tempo"], "--plan"),
        (["--target-pace", "4:50"], "--target-pace"),
        (["--profile", "ann.toml"], "--profile"),
        (["--squad", "club"], "--squad"),
        (["--athlete", "ann"], "--athlete"),
        (["--plan", "tempo", "--target-pace", "290"], "--plan, --target-pace"),
    ],
)
def test_a_file_only_flag_with_a_stored_session_is_refused(
    stored: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], named: str
) -> None:
    """``report SESSION --plan tempo`` wrote a report not judged against any plan, and said nothing."""
    db, sid = stored
    out = tmp_path / "r.html"
    assert main(["report", sid, "--store", str(db), "-o", str(out), *flags]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and not out.exists()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    assert captured.err.startswith(f"crampwatch: error: {named}: for a FILE only;"), captured.err


def test_the_same_stored_session_without_them_is_reported(
    stored: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, sid = stored
    out = tmp_path / "r.html"
    assert main(["report", sid, "--store", str(db), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {out}" and out.stat().st_size > 0


def recorded_run() -> list[Frame]:
    """12 min at 150 bpm with a one-second peak of 178 between two status ticks and a strap's 'invalid' 255."""
    frames = [replace(f, hr=150.0) for f in easy_cool_run(12)]
    frames[303] = replace(frames[303], hr=178.0)
    frames[400] = replace(frames[400], hr=255.0)
    return frames


async def record(db: Path, frames: list[Frame]) -> str:
    """The frames through the router and recorder a service uses, into a SQLite store (inputs kept)."""
    store = SqliteStore(str(db))
    await store.open()
    router = Router(TOPICS)
    recorder = Recorder(store, router)
    msgs = [(TOPICS.of("club", "zoe", "profile"), encode_profile(EASY_PROFILE))]
    msgs += [(TOPICS.of("club", "zoe", "frame"), encode_frames(frames[i : i + 30])) for i in range(0, len(frames), 30)]
    msgs.append((TOPICS.of("club", "zoe", "session"), encode_session(frames[-1].t + 1, "stop")))
    for topic, payload in msgs:
        routed = router.handle(topic, payload)
        if routed.applied is not None:
            recorder.step(*routed.applied, payload, routed.out)
    assert await store.flush()
    (summary,) = await store.sessions()
    assert max(s["hr"] for s in await store.statuses(summary.id) if s.get("hr") is not None) < 178  # the fault
    await store.close()
    return summary.id


@pytest.fixture(scope="module")
def zoe(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[Frame]]:
    frames = recorded_run()
    db = tmp_path_factory.mktemp("zoe") / "s.db"
    return db, asyncio.run(record(db, frames)), frames


def test_a_stored_sessions_max_hr_is_its_highest_valid_second(
    zoe: tuple[Path, str, list[Frame]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report of a stored session took its max HR from the 5-s statuses (176 where the file said 178)."""
    db, sid, frames = zoe
    csv = tmp_path / "zoe.csv"
    rows = ["time,hr,speed,cadence"] + [f"{f.t},{f.hr},{1000 / (f.pace or 1)},{f.cadence}" for f in frames]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["analyze", str(csv), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["max_hr_bpm"] == 178.0  # the file's own maximum
    out = tmp_path / "r.html"
    assert main(["report", sid, "--store", str(db), "-o", str(out)]) == 0
    capsys.readouterr()
    assert numbers_of(out.read_text(encoding="utf-8"))["max_hr_bpm"] == 178.0


async def test_the_dashboards_report_of_it_says_the_same(zoe: tuple[Path, str, list[Frame]]) -> None:
    db, sid, _ = zoe
    store = SqliteStore(str(db), read_only=True)
    await store.open()
    server = await serve(LiveView(), "127.0.0.1", 0, ack=lambda s, a, i: None, store=store)
    try:
        async with aiohttp.ClientSession(base_url=server.url) as http, http.get(f"/report/session/{sid}") as res:
            assert res.status == 200
            page = await res.text()
    finally:
        await server.close()
        await store.close()
    assert numbers_of(page)["max_hr_bpm"] == 178.0


async def _live_report(db: Path, sid: str, *, with_store: bool) -> str:
    """The dashboard's report of zoe's session as the live view holds it (its 5-s history), with the monitor's
    store beside it or without one."""
    store = SqliteStore(str(db), read_only=True)
    await store.open()
    view = LiveView()
    for status in await store.statuses(sid):
        view.add_status(status)
    server = await serve(view, "127.0.0.1", 0, ack=lambda s, a, i: None, store=store if with_store else None)
    try:
        async with aiohttp.ClientSession(base_url=server.url) as http, http.get("/report/live/club/zoe") as res:
            assert res.status == 200
            return await res.text()
    finally:
        await server.close()
        await store.close()


async def test_the_live_report_takes_max_hr_from_the_stored_samples(zoe: tuple[Path, str, list[Frame]]) -> None:
    """The dashboard's live report read its max HR off the 5-s history (176: the 178 fell between two ticks)
    while the monitor's store held every sample of the session."""
    db, sid, _ = zoe
    page = await _live_report(db, sid, with_store=True)
    assert numbers_of(page)["max_hr_bpm"] == 178.0
    assert "5-s statuses" not in page


async def test_without_a_store_the_live_report_says_its_max_hr_is_of_the_statuses(
    zoe: tuple[Path, str, list[Frame]],
) -> None:
    db, sid, _ = zoe
    page = await _live_report(db, sid, with_store=False)
    assert numbers_of(page)["max_hr_bpm"] < 178.0  # the limit, said on the page
    assert "<span>Max HR (highest 5-s status)</span>" in page
