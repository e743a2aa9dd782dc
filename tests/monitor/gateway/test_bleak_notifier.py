"""``BleakNotifier`` on a machine without a Bluetooth stack: bleak's scanner raises ``FileNotFoundError`` (no D-Bus
system bus: BlueZ is not running), the sensor task died, and ``crampwatch gateway ble`` printed its banner and then
nothing, forever. Now the error surfaces: one line, exit 1. A fake bleak module stands in for the radio."""

from __future__ import annotations

import asyncio
import types
from typing import Any

import pytest

from monitor.cli import main
from monitor.errors import CrampwatchError
from monitor.gateway import bleak_notifier
from monitor.mqtt.broker import BrokerURL


class BleakError(Exception):
    pass


class NoBusScanner:
    """What bleak 0.22-1.x raises on Linux when the D-Bus system bus socket does not exist."""

    @staticmethod
    async def find_device_by_filter(*_: Any, **__: Any) -> Any:
        raise FileNotFoundError(2, "No such file or directory")

    find_device_by_address = find_device_by_filter


FAKE_BLEAK = types.SimpleNamespace(BleakScanner=NoBusScanner, BleakClient=None, exc=types.SimpleNamespace(
    BleakError=BleakError))  # fmt: skip


async def test_a_missing_bluetooth_stack_is_an_error_not_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bleak_notifier, "import_bleak", lambda: FAKE_BLEAK)
    notifier = bleak_notifier.BleakNotifier(scan_timeout_s=0.1)
    stop = asyncio.Event()
    with pytest.raises(CrampwatchError, match=r"Bluetooth is not available \(FileNotFoundError"):
        await asyncio.wait_for(notifier.run(lambda _b: None, lambda _b: None, stop), 10)


def test_the_gateway_command_says_so_in_one_line(
    mosquitto: BrokerURL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bleak_notifier, "import_bleak", lambda: FAKE_BLEAK)
    argv = ["gateway", "ble", "--squad", "club", "--athlete", "ann", "--broker", f"mqtt://127.0.0.1:{mosquitto.port}"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is BlueZ (bluetoothd) running" in err and "Traceback" not in err, err
