"""The latency run's load: the at-risk runners (every N-th, cramp history in their profile) reach an alert inside
the paced window after the suite's warm-up, the others do not (otherwise the alert-latency row reads n/a)."""

from __future__ import annotations

import time

from benchmarks.loadgen import T0, build, profiles
from benchmarks.suite import AT_RISK, SIZES
from monitor.core.profiles import ProfileBook
from monitor.core.router import Router
from monitor.core.wire import Topics


def test_at_risk_runners_alert_inside_the_paced_window() -> None:
    size = SIZES["full"]
    warmup, seconds = size["lat_warmup"], size["lat_seconds"]
    athletes = 2 * AT_RISK + 1  # a00000, a00007 and a00014 at risk
    warm, per_second = build(athletes=athletes, seconds=seconds, mode="frame", warmup=warmup)
    router = Router(Topics(), ProfileBook())
    alerts = []
    now = time.time()
    for topic, payload in profiles(athletes, AT_RISK) + warm + [m for second in per_second for m in second]:
        alerts += router.handle(topic, payload, now=now).out.alerts
    assert sorted({a.athlete for a in alerts}) == ["a00000", "a00007", "a00014"]
    assert all(T0 + warmup <= a.t < T0 + warmup + seconds for a in alerts), [(a.athlete, a.t - T0) for a in alerts]
