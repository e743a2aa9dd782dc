"""benchmarks.spy: inclusive shares from py-spy's raw (collapsed) stacks."""

from __future__ import annotations

from benchmarks.spy import shares

RAW = """\
main (consumers.py:10);Router.handle (monitor/core/router.py:82);Engine.tick (processors/engine.py:70) 3
main (consumers.py:10);Router.handle (monitor/core/router.py:82) 1
main (consumers.py:10);Client.loop_read (paho/client.py:1);Client.loop_read (paho/client.py:2) 4
garbage line without a count
"""


def test_shares_are_inclusive_and_count_a_function_once_per_stack() -> None:
    total, share = shares(RAW)
    assert total == 8
    assert share["main"] == 1.0
    assert share["Router.handle"] == 0.5
    assert share["Engine.tick"] == 3 / 8
    assert share["Client.loop_read"] == 0.5  # recursive frames count once
    assert shares("") == (0, {})
