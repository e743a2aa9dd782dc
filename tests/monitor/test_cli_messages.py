"""The command line's messages (issue 13.6): ``--version``, a description for every command, and the one-line
errors that used to be confusing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli import build_parser, main
from monitor.commands import COMMANDS
from monitor.mqtt.broker import BrokerURL

CLI = [sys.executable, "-m", "monitor.cli"]


@pytest.fixture(autouse=True)
def _no_env_broker() -> Iterator[None]:
    saved = os.environ.pop("CRAMPWATCH_BROKER", None)
    yield
    if saved is not None:
        os.environ["CRAMPWATCH_BROKER"] = saved


def one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(argv))
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("crampwatch: error: ")
    return err.strip()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"crampwatch {version('crampwatch')}\n"


def test_every_command_has_a_description() -> None:
    parser, modules = build_parser()
    assert set(modules) == set(COMMANDS)
    for name, sub in parser.commands.items():
        assert sub.description and len(sub.description) > 40, name
        assert sub.format_help().count(sub.description.split()[0]) >= 1


@pytest.mark.parametrize("command", ["monitor", "watch", "demo"])
def test_help_shows_the_description(command: str) -> None:
    out = subprocess.run([*CLI, command, "--help"], capture_output=True, text=True, check=True).stdout
    head = out.split("\n\n")[1]  # the paragraph after the usage block
    assert not head.startswith(("options:", "  -h")) and len(head) > 40, out


def test_unknown_flag_names_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(["demo", "--durationn", "5"], capsys)
    assert err == "crampwatch: error: unrecognized arguments: --durationn 5 (see crampwatch demo --help)"
    assert "crampwatch crampwatch" not in one_line_error(["--nope"], capsys)
    err = one_line_error(["gateway", "bridge", "--layout", "owntracks", "--squad", "club", "--bogus"], capsys)
    assert err == "crampwatch: error: unrecognized arguments: --bogus (see crampwatch gateway bridge --help)"


def test_demo_athletes_has_the_simulators_bound(capsys: pytest.CaptureFixture[str]) -> None:
    """``demo --athletes 100000`` had no upper bound (simulate and evaluate: 1-2000): it simulated every runner
    before printing anything (1000 runners: still silent after 30 s)."""
    for value in ("0", "2001", "100000"):
        assert one_line_error(["demo", "--athletes", value], capsys) == "crampwatch: error: --athletes must be 1-2000"


def test_not_a_fit_file_says_it_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.fit"
    path.write_bytes(b"\x01\x02\x03\x04" * 50)
    err = one_line_error(["analyze", str(path)], capsys)
    assert err.count("not a FIT file") == 1 and "@" not in err, err


def test_missing_profiles_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.toml"
    err = one_line_error(["monitor", "--broker", "mqtt://127.0.0.1:1", "--profiles", str(missing)], capsys)
    assert err == f"crampwatch: error: {missing}: no such profiles file"
    assert "FileNotFoundError" not in err


def test_a_typo_in_the_profiles_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'hr_mx = 172' for hr_max was taken in silence: the runner's zones and advice then used the age default.
    analyze --profile refuses it; the monitor's --profiles file does too (one line, exit 2)."""
    path = tmp_path / "athletes.toml"
    path.write_text('[athletes.ann]\nname = "Ann"\nhr_mx = 172\n')
    err = one_line_error(["config", "--check", str(_config_with_profiles(tmp_path, path))], capsys)
    assert "unknown profile field 'hr_mx'" in err
    err = one_line_error(["monitor", "--broker", "mqtt://127.0.0.1:1", "--profiles", str(path)], capsys)
    assert err.startswith(f"crampwatch: error: {path}: profile 'ann': unknown profile field 'hr_mx' (known: name, ")


def _config_with_profiles(tmp_path: Path, profiles: Path) -> Path:
    config = tmp_path / "monitor.toml"
    config.write_text(f'broker = "mqtt://127.0.0.1:1"\nprofiles = "{profiles}"\n')
    return config


def test_one_athlete_is_singular(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list"]) == 0
    out = capsys.readouterr().out
    assert not re.search(r"\b1 athletes\b", out)
    assert re.search(r"\b1 athlete\b", out) or re.search(r"\b[02-9]\d* athletes\b", out)


@pytest.mark.broker
def test_simulate_one_athlete_banner(mosquitto: BrokerURL, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"mqtt://127.0.0.1:{mosquitto.port}"
    argv = ["simulate", "--broker", url, "--athletes", "1", "--speed", "0", "--unpaced"]  # no monitor here
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "1 athlete," in err and "1 athletes" not in err, err


@pytest.mark.parametrize("command", [["simulate"], ["monitor"], ["replay", "x.csv", "--squad", "s"]])
def test_broker_host_with_spaces_is_a_usage_error(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error([*command, "--broker", "mqtt://no such host"], capsys)
    assert "'no such host' is not a host name or address" in err


@pytest.mark.parametrize("command", [["simulate", "--speed", "0"], ["replay", "RUN", "--squad", "s", "--speed", "0"]])
def test_unresolvable_broker_host_is_one_line_for_one_shot_commands(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run.csv"
    run.write_text("time,hr\n1700000000,140\n1700000001,141\n", encoding="utf-8")
    argv = [str(run) if a == "RUN" else a for a in command]
    err = one_line_error([*argv, "--broker", "mqtt://no-such-host.invalid"], capsys)
    assert err.startswith("crampwatch: error: broker mqtt://no-such-host.invalid:1883: cannot resolve host")


def test_the_service_keeps_retrying_an_unresolvable_host_and_says_why() -> None:
    proc = subprocess.Popen(
        [*CLI, "monitor", "--broker", "mqtt://no-such-host.invalid"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:  # blocks until the service logs; pytest-timeout guards the loop
            lines.append(line)
            if sum("cannot reach broker" in x for x in lines) >= 2:
                break
        assert proc.poll() is None  # still running: it retries
        retry = next(x for x in lines if "cannot reach broker" in x)
        assert "no-such-host.invalid" in retry and "retrying" in retry
        assert "Traceback" not in "".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_gateway_ble_without_bleak_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    if importlib.util.find_spec("bleak") is not None:
        pytest.skip("bleak is installed here")
    argv = ["gateway", "ble", "--squad", "club", "--athlete", "ann", "--broker", "mqtt://127.0.0.1:1"]
    err = one_line_error(argv, capsys)
    assert "pip install 'crampwatch[ble]'" in err


@pytest.mark.parametrize("command", [["simulate", "--speed", "0"], ["monitor"], ["replay", "RUN", "--squad", "s"]])
@pytest.mark.parametrize("flag", ["--ca-file", "--cert-file"])
def test_unreadable_tls_file_is_one_line(
    command: list[str], flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is there but is not PEM (a wrong path, a DER file) was a traceback from ssl."""
    run = tmp_path / "run.csv"
    run.write_text("time,hr\n1700000000,140\n1700000001,141\n", encoding="utf-8")
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"\x00\x01 not a certificate \xff" * 20)
    argv = [str(run) if a == "RUN" else a for a in command]
    err = one_line_error([*argv, "--broker", "mqtts://127.0.0.1:1", flag, str(garbage)], capsys)
    assert err.startswith(f"crampwatch: error: {flag} {garbage}: not a ") and "_ssl.c" not in err, err


def test_monitor_amqp_without_the_scale_extra_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without aio-pika (a plain ``pip install crampwatch``) ``--amqp`` was a ModuleNotFoundError traceback."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "aio_pika" else real(name, *a))
    argv = ["monitor", "--amqp", "amqp://127.0.0.1:1", "--shards", "2", "--store", "postgresql://u@127.0.0.1:1/db"]
    err = one_line_error(argv, capsys)
    assert "pip install 'crampwatch[scale]'" in err


@pytest.mark.parametrize("start", ["1732400000000", "1e300", "99999999999999999999"])
def test_simulate_start_in_the_future_is_refused(start: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A start in milliseconds (or any time the monitor would reject as more than 300 s in its future) published
    every sample to be rejected as "future time" and exited 0; it is a usage error naming the bound."""
    err = one_line_error(["simulate", "--broker", "mqtt://127.0.0.1:1", "--athletes", "1", "--start", start], capsys)
    assert err.startswith("crampwatch: error: --start ") and "300 s" in err and "milliseconds" in err


@pytest.mark.parametrize(
    ("flags", "named"),
    [(["--shards", "3"], "--shards"), (["--checkpoint", "2"], "--checkpoint"),
     (["--worker-id", "w1", "--shards", "2"], "--shards, --worker-id")],
)  # fmt: skip
def test_scale_out_flags_without_amqp_are_refused(
    flags: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``monitor --shards 3`` without ``--amqp`` ran one MQTT monitor and ignored the flag without a word (audit5)."""
    err = one_line_error(["monitor", "--broker", "mqtt://127.0.0.1:1", *flags], capsys)
    assert err.startswith(f"crampwatch: error: {named}: only with --amqp URL"), err
