"""``crampwatch replay`` through Mosquitto: what a subscriber receives, in order; all files read before anything
is sent; and (issue 4) the received frames, run through the offline pipeline, give exactly what ``analyze``
gives for the file."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.commands.analyze import analyze, document, indicators
from monitor.core.pipeline import AthletePipeline, OfflineResult, Output, run_offline
from monitor.core.wire import parse_frames, parse_stream
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.embedded import free_port
from processors.profile import Profile
from simulators.frame import Frame
from simulators.readers import read_recording
from tests.simulators.readers.oracles import REALDATA

Message = tuple[str, bytes]


def _realdata(name: str) -> Path:
    path = REALDATA / name
    if not path.is_file():
        pytest.skip("../shared/realdata is not here (only in the project workspace)")
    return path


def _csv(tmp_path: Path, name: str, start: float, seconds: int = 60, hr: int = 140) -> Path:
    rows = ["t,hr,speed,cadence"] + [f"{start + i},{hr + i % 5},3.0,170" for i in range(seconds)]
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


async def _replay(broker: BrokerURL, squad: str, argv: Sequence[str], stops: int) -> tuple[int, list[Message]]:
    """Subscribe to the squad, run ``crampwatch replay`` (in a thread: it runs its own event loop), collect until
    ``stops`` session-stop messages have arrived (the publisher sends each run's stop last)."""
    received: list[Message] = []
    async with broker.client() as client:
        await client.subscribe(f"crampwatch/v1/{squad}/#", qos=1)
        replay = asyncio.create_task(asyncio.to_thread(main, ["replay", *argv]))

        async def collect() -> None:
            seen = 0
            async for msg in client.messages:
                payload = msg.payload if isinstance(msg.payload, bytes) else str(msg.payload).encode()
                received.append((str(msg.topic), payload))
                if str(msg.topic).endswith("/session") and json.loads(payload)["event"] == "stop":
                    seen += 1
                    if seen == stops:
                        return

        collector = asyncio.create_task(collect())
        done, _ = await asyncio.wait({replay, collector}, timeout=120, return_when=asyncio.FIRST_EXCEPTION)
        if replay in done and replay.result() != 0:
            collector.cancel()
            return replay.result(), received
        await asyncio.wait_for(collector, timeout=120)
        code = await asyncio.wait_for(replay, timeout=120)
    return code, received


def _url(broker: BrokerURL) -> str:
    return f"mqtt://{broker.host}:{broker.port}"


def _leaf(topic: str) -> str:
    return topic.rsplit("/", 1)[-1]


def _frames(received: list[Message], athlete: str) -> list[Frame]:
    out = []
    for topic, payload in received:
        if topic.endswith(f"/{athlete}/frame"):
            parsed = parse_frames(payload)
            assert not parsed.rejected
            by_t: dict[float, dict[str, float]] = {}
            for stream, t, value in parsed.samples:
                by_t.setdefault(t, {})[stream] = value
            out += [Frame(t=t, **values) for t, values in by_t.items()]
    return out


@pytest.mark.broker
@pytest.mark.realdata
async def test_replay_through_mosquitto_gives_the_same_indicators_as_analyze(
    mosquitto: BrokerURL, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _realdata("fenix2-run-47min.fit")
    code, received = await _replay(
        mosquitto,
        "club",
        [str(path), "--broker", _url(mosquitto), "--squad", "club", "--athlete", "ann", "--speed", "0", "--unpaced"],
        1,
    )
    assert code == 0
    out, err = capsys.readouterr()
    assert "replaying 1 run, 2809 frames" in err and "published 2811 messages" in out

    rec = read_recording(path)
    leaves = [_leaf(t) for t, _ in received]
    assert leaves[0] == "session" and leaves[-1] == "session" and leaves.count("frame") == len(rec.frames())
    frames = _frames(received, "ann")
    assert frames == rec.frames()  # every frame, in order, unchanged
    assert [f.t for f in frames] == sorted(f.t for f in frames)

    runner = Profile(training_pace=320)  # the run averages 5:15/km: faster than this runner trains, so alerts
    expected = analyze(rec, squad="club", athlete="ann", profile=runner)
    result = run_offline(frames, squad="club", athlete="ann", profile=runner)
    replayed = document(rec, result, runner, "given")  # analyze's document from the replayed frames
    assert replayed["indicators"] == expected["indicators"]  # incl. the post-run coach block
    # level_s: the file's recorded time by level (analyze), the statuses' ticks (indicators alone)
    assert indicators(result) | {"level_s": None} == {
        k: v for k, v in expected["indicators"].items() if k != "coach"
    } | {"level_s": None}
    assert [a.id for a in result.alerts] == [a["id"] for a in expected["alerts"]]
    assert expected["alerts"], "this run raises alerts, so the comparison covers them"


@pytest.mark.broker
@pytest.mark.realdata
async def test_replay_samples_mode_carries_the_same_run(
    mosquitto: BrokerURL, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _realdata("fenix5-run-1min.fit")
    argv = [str(path), "--broker", _url(mosquitto), "--squad", "club", "--mode", "samples", "--speed", "0", "--unpaced"]
    code, received = await _replay(mosquitto, "club", argv, 1)
    assert code == 0
    samples = []
    pipe = AthletePipeline("club", "a", Profile())
    out = Output()
    for topic, payload in received:  # the monitor's view: one message per stream batch, in the order sent
        leaf = _leaf(topic)
        assert topic.startswith("crampwatch/v1/club/fenix5-run-1min/")
        if leaf in ("hr", "pace", "cadence", "temp"):
            parsed = parse_stream(leaf, payload).samples
            samples += parsed
            out.extend(pipe.add_many(parsed))
    out.extend(pipe.flush())
    rec = read_recording(path)
    assert len(samples) == sum(len(f.streams()) for f in rec.frames())
    assert indicators(OfflineResult(out.statuses, out.alerts, out.late)) == indicators(
        run_offline(rec.frames(), squad="club", athlete="a", profile=Profile())
    )


@pytest.mark.broker
async def test_replay_squad_from_several_files(
    mosquitto: BrokerURL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _csv(tmp_path, "a.csv", 1_700_000_000, 60, hr=140)
    b = _csv(tmp_path, "b.csv", 1_700_000_030, 60, hr=150)
    profile = tmp_path / "p.toml"
    profile.write_text("training_pace = 330\n", encoding="utf-8")
    argv = [str(a), str(b), "--broker", _url(mosquitto), "--squad", "club", "--athlete", "r", "--speed", "0"]
    argv.append("--unpaced")  # no monitor here: the publisher's bytes only
    code, received = await _replay(mosquitto, "club", [*argv, "--profile", str(profile)], 2)
    assert code == 0
    topics = [t for t, _ in received]
    assert topics[:2] == ["crampwatch/v1/club/r-1/profile", "crampwatch/v1/club/r-2/profile"]
    assert json.loads(received[0][1]) == {"training_pace": 330.0}
    one, two = _frames(received, "r-1"), _frames(received, "r-2")
    assert [f.hr for f in one] == [140.0 + i % 5 for i in range(60)] and len(two) == 60
    # merged in event-time order: b's first frame (t0+30) comes after a's frame at t0+30
    times = [json.loads(p)["t"] for t, p in received if t.endswith("/frame")]
    assert times == sorted(times)


@pytest.mark.broker
async def test_replay_now_shifts_every_run_to_the_present(
    mosquitto: BrokerURL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    a = _csv(tmp_path, "old.csv", 1_500_000_000, 10)
    b = _csv(tmp_path, "older.csv", 1_400_000_000, 10)
    before = time.time()
    argv = [str(a), str(b), "--broker", _url(mosquitto), "--squad", "club", "--speed", "0", "--unpaced", "--now"]
    code, received = await _replay(mosquitto, "club", argv, 2)
    assert code == 0
    starts = {
        _athlete: json.loads(p)["t"]
        for t, p in received
        if t.endswith("/session") and json.loads(p)["event"] == "start"
        for _athlete in [t.split("/")[-2]]
    }
    assert set(starts) == {"old", "older"}
    assert all(before - 1 <= s <= time.time() + 1 for s in starts.values())


@pytest.mark.broker
async def test_a_dated_run_beside_an_elapsed_one_keeps_its_date(
    mosquitto: BrokerURL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """audit7: with one dated file and one elapsed-time CSV (no date) both runs were moved to end now; the dated
    run keeps its own times, as it does alone, and the elapsed one starts with it (runs start together; at its own
    times it would be 1970, decades of event time away)."""
    dated = _csv(tmp_path, "dated.csv", 1_700_000_000, 10)
    elapsed = _csv(tmp_path, "elapsed.csv", 0, 10)
    argv = [str(dated), str(elapsed), "--broker", _url(mosquitto), "--squad", "club", "--speed", "0", "--unpaced"]
    code, received = await _replay(mosquitto, "club", argv, 2)
    assert code == 0
    sessions = {
        (t.split("/")[-2], event["event"]): event["t"]
        for t, p in received
        if t.endswith("/session")
        for event in [json.loads(p)]
    }
    assert sessions[("dated", "start")] == 1_700_000_000 and sessions[("dated", "stop")] == 1_700_000_009
    assert sessions[("elapsed", "start")] == 1_700_000_000 and sessions[("elapsed", "stop")] == 1_700_000_009
    header = capsys.readouterr().err
    assert "elapsed times (no date): started with the dated runs" in header, header


@pytest.mark.broker
async def test_one_unreadable_file_publishes_nothing(
    mosquitto: BrokerURL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _csv(tmp_path, "good.csv", 1_700_000_000, 10)
    bad = tmp_path / "bad.tcx"
    bad.write_text("not xml", encoding="utf-8")

    async def scenario() -> tuple[int, list[str]]:
        seen: list[str] = []
        async with mosquitto.client() as client:
            await client.subscribe("crampwatch/v1/#", qos=1)
            await client.subscribe("test/sentinel", qos=1)
            code = await asyncio.to_thread(
                main, ["replay", str(good), str(bad), "--broker", _url(mosquitto), "--squad", "club", "--speed", "0"]
            )
            # anything replay had published would be acknowledged (QoS 1) before it returned, so it reaches us
            # before this sentinel does
            await client.publish("test/sentinel", b"end", qos=1)
            async for msg in client.messages:
                seen.append(str(msg.topic))
                if str(msg.topic) == "test/sentinel":
                    break
        return code, seen

    code, seen = await asyncio.wait_for(scenario(), 60)
    assert code == 2 and seen == ["test/sentinel"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.tcx: not a TCX file" in err and "Traceback" not in err


def test_replay_usage_errors_before_connecting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listens on the port: a replay that got as far as connecting would fail with exit 1, not 2."""
    closed = f"mqtt://127.0.0.1:{free_port()}"
    good = str(_csv(tmp_path, "good.csv", 1_700_000_000, 10))
    cases = [
        ([good, str(tmp_path / "missing.fit")], "missing.fit: no such file"),
        ([good, "--athlete", "a b"], "--athlete 'a b-1'"),
        ([good, "--speed", "-1"], "--speed must be"),
        ([good, "--batch", "0"], "--batch must be"),
        ([good, "--profile", str(tmp_path / "none.toml")], "no such profile file"),
        # a 20-min run from now at x60 runs ahead of the clock: the monitor would reject all but its first 5 min
        ([str(_csv(tmp_path, "long.csv", 1_700_000_000, 1200)), "--now", "--speed", "60"], "ahead of the clock"),
        ([str(_csv(tmp_path, "long.csv", 1_700_000_000, 1200)), "--now", "--speed", "0"], "--speed 1 (real time)"),
    ]
    for extra, expected in cases:
        argv = ["replay", *extra, "--broker", closed, "--squad", "club"]
        if extra[1:2] == ["--athlete"]:
            argv = ["replay", good, str(tmp_path / "x.csv"), "--athlete", "a b", "--broker", closed, "--squad", "club"]
        assert main(argv) == 2, extra
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and expected in err and "Traceback" not in err, err
    assert main(["replay", good, "--broker", "http://x", "--squad", "club"]) == 2
    assert "bad broker URL" in capsys.readouterr().err
    from monitor.commands.replay import MONITOR_MAX_FUTURE_S
    from monitor.core.router import Router

    assert inspect.signature(Router).parameters["max_future_s"].default == MONITOR_MAX_FUTURE_S


def test_replay_to_a_dead_broker_is_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    closed = f"mqtt://127.0.0.1:{free_port()}"
    good = str(_csv(tmp_path, "good.csv", 1_700_000_000, 10))
    assert main(["replay", good, "--broker", closed, "--squad", "club", "--speed", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("replaying 1 run") and err.count("\n") == 2 and "Traceback" not in err  # + one line


@pytest.mark.broker
async def test_replay_unpaced_says_a_stock_broker_drops_beyond_its_queue(
    mosquitto: BrokerURL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fenix2-run-47min.fit at --speed 0 (2,811 messages) into a stock Mosquitto: the monitor got 2,407 and stored
    8.05 km of a 9.0-km run, while the replay said only "published 2811 messages". Paced by the monitor (the
    default since) nothing is dropped: the note is for --unpaced."""
    run = str(_csv(tmp_path, "long.csv", 1_700_000_000, 1100))
    argv = ["replay", run, "--broker", _url(mosquitto), "--squad", "club", "--speed", "0", "--unpaced"]
    assert await asyncio.to_thread(main, argv) == 0
    out, err = capsys.readouterr()
    assert "published 1102 messages" in out and err.startswith("replaying 1 run") and err.count("\n") == 1
    note = out.splitlines()[-1]
    assert note.startswith("note: 1102 messages") and "max_queued_messages" in note and "--batch 60" in note
    assert await asyncio.to_thread(main, [*argv, "--batch", "60"]) == 0  # 21 messages: nothing to say
    assert "note:" not in capsys.readouterr().out


@pytest.mark.broker
@pytest.mark.parametrize("command", ["replay", "simulate"])
async def test_the_opening_line_is_on_stderr_for_replay_and_simulate_alike(
    mosquitto: BrokerURL, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """``simulate`` said what it was about to send on stderr, ``replay`` on stdout: ``replay … > out.txt`` held
    a line that ``simulate … > out.txt`` did not. Both now keep the opening line on stderr (with the progress bar);
    stdout holds the summary of what was published."""
    broker = ["--broker", _url(mosquitto), "--speed", "0", "--unpaced"]
    if command == "replay":
        argv = ["replay", str(_csv(tmp_path, "r.csv", 1_700_000_000, 30)), "--squad", "club", *broker]
        opening = "replaying 1 run, 30 frames"
    else:
        argv = ["simulate", "--scenario", "squad", "--athletes", "1", "--batch", "600", "--squad", "club", *broker]
        opening = "simulate: squad: 1 athlete"
    assert await asyncio.to_thread(main, argv) == 0
    out, err = capsys.readouterr()
    assert err.startswith(opening) and err.count("\n") == 1
    assert out.startswith("published ") and opening not in out
