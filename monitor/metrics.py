"""Prometheus metrics of a running :class:`~monitor.mqtt.service.Monitor` (``GET /metrics``).

Counters and gauges are read from the monitor's own state when scraped (nothing is counted twice); the two time
histograms and the alert counts are fed by a small observer hook and a sink. Every metric lives in a registry of
its own per monitor (tests run several monitors in one process).

===========================================  ===========================================================
metric                                       meaning
===========================================  ===========================================================
``crampwatch_messages_in_total``             MQTT messages received (incl. refused when overloaded)
``crampwatch_samples_accepted_total``        valid samples handed to a pipeline
``crampwatch_rejections_total{reason}``      rejected messages or values, by reason
``crampwatch_late_drops_total``              samples dropped for arriving later than the allowed lateness
``crampwatch_queue_depth{queue}``            ``incoming`` (waiting to be processed), ``outgoing`` (to the broker)
``crampwatch_athletes``                      athletes the monitor knows
``crampwatch_sessions_active``               sessions in progress
``crampwatch_alerts_total{kind,level}``      alerts sent
``crampwatch_tick_seconds``                  time of one 5-s tick (processors, policy, status)
``crampwatch_ingest_seconds``                time to validate and apply one MQTT message (incl. its ticks)
``crampwatch_broker_connects_total``         successful broker connections (the first one included)
``crampwatch_broker_reconnect_attempts_total``  connection attempts after a failure or a lost connection
``crampwatch_broker_connected``              1 while connected
``crampwatch_sink_failures_total{sink}``     deliveries a sink gave up on (by sink class; ``raised``: calls
                                             that raised, caught and logged by the monitor)
``crampwatch_errors_total``                  unexpected errors while handling a message (logged)
``crampwatch_store_write_errors_total``      session-store writes that failed (each is retried; logged)
``crampwatch_store_dropped_total``           records the session store dropped because its queue was full
``crampwatch_store_pending``                 records waiting to be written to the session store
``crampwatch_gc_pause_seconds_total{generation}``  time the process stood still in garbage collections
``crampwatch_gc_pause_max_seconds{generation}``    the longest of them (``monitor.gcguard`` keeps gen 2 short)
``crampwatch_gc_frozen_objects``             objects moved where full collections do not walk them
===========================================  ===========================================================
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from alerts.alert import Alert
from alerts.sinks.base import Sink

if TYPE_CHECKING:
    from monitor.core.router import Routed
    from monitor.gcguard import GcGuard
    from monitor.mqtt.service import Monitor

#: Content type of the Prometheus text exposition format.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_TICK_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_INGEST_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5)


class _AlertCounter(Sink):
    """Counts alerts by kind and level (a sink sees every alert, including those at a session's end)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    async def on_alert(self, alert: Alert) -> None:
        self.counts[(alert.kind, alert.level)] += 1


def _sink_failures(sinks: Iterable[object]) -> Iterator[tuple[str, int]]:
    for sink in sinks:
        stats = getattr(sink, "stats", None)
        failed = getattr(stats, "failed", None) if stats is not None else getattr(sink, "failed", None)
        if isinstance(failed, int):
            yield type(sink).__name__, failed


def _gc_metrics(guard: GcGuard | None) -> list[Metric]:
    """The garbage collector's pauses (every collection of the process) and what the guard froze."""
    if guard is None:
        return []
    total = CounterMetricFamily(
        "crampwatch_gc_pause_seconds", "time the event loop stood still in GC collections", labels=["generation"]
    )
    longest = GaugeMetricFamily("crampwatch_gc_pause_max_seconds", "longest GC collection", labels=["generation"])
    for gen, p in sorted(guard.pauses.items()):
        total.add_metric([str(gen)], p.total_s)
        longest.add_metric([str(gen)], p.max_s)
    frozen = GaugeMetricFamily("crampwatch_gc_frozen_objects", "objects full collections skip", guard.frozen())
    return [total, longest, frozen]


class _StateCollector(Collector):
    def __init__(self, monitor: Monitor, alerts: _AlertCounter) -> None:
        self._monitor = weakref.ref(monitor)
        self._alerts = alerts

    def collect(self) -> Iterable[Metric]:
        monitor = self._monitor()
        if monitor is None:
            return []
        rc, mc = monitor.router.counters, monitor.counters
        out: list[Metric] = [
            CounterMetricFamily("crampwatch_messages_in", "MQTT messages received", rc["messages"] + mc["overload"]),
            CounterMetricFamily("crampwatch_samples_accepted", "valid samples handed to a pipeline", rc["samples"]),
            CounterMetricFamily("crampwatch_late_drops", "samples later than the allowed lateness", rc["late"]),
            CounterMetricFamily("crampwatch_broker_connects", "successful broker connections", mc["connects"]),
            CounterMetricFamily(
                "crampwatch_broker_reconnect_attempts", "attempts after a failure", mc["reconnect_attempts"]
            ),
            GaugeMetricFamily("crampwatch_broker_connected", "1 while connected", 1 if monitor.connected else 0),
            CounterMetricFamily("crampwatch_errors", "unexpected errors while handling a message", mc["errors"]),
            GaugeMetricFamily("crampwatch_athletes", "athletes the monitor knows", len(monitor.router.pipelines)),
            GaugeMetricFamily(
                "crampwatch_sessions_active", "sessions in progress", sum(1 for p in monitor.router if p.active)
            ),
        ]
        reasons: Counter[str] = Counter()
        for (_topic, reason), n in monitor.rejects.counts.items():
            reasons[reason] += n
        rejections = CounterMetricFamily("crampwatch_rejections", "rejected messages or values", labels=["reason"])
        for reason, n in sorted(reasons.items()):
            rejections.add_metric([reason], n)
        out.append(rejections)
        queues = GaugeMetricFamily("crampwatch_queue_depth", "messages waiting", labels=["queue"])
        for name, depth in monitor.queue_depths().items():
            queues.add_metric([name], depth)
        out.append(queues)
        alerts = CounterMetricFamily("crampwatch_alerts", "alerts sent", labels=["kind", "level"])
        for (kind, level), n in sorted(self._alerts.counts.items()):
            alerts.add_metric([kind, level], n)
        out.append(alerts)
        sinks = CounterMetricFamily("crampwatch_sink_failures", "deliveries a sink gave up on", labels=["sink"])
        for name, n in _sink_failures(monitor.sinks):
            sinks.add_metric([name], n)
        sinks.add_metric(["raised"], mc["sink_errors"])  # a sink call that raised (the monitor logged it)
        out.append(sinks)
        out += _gc_metrics(monitor.gc_guard)
        store = monitor.store
        if store is not None:
            sc = store.counters
            out += [
                CounterMetricFamily("crampwatch_store_write_errors", "session-store writes that failed", sc["errors"]),
                CounterMetricFamily("crampwatch_store_dropped", "records the session store dropped", sc["dropped"]),
                GaugeMetricFamily("crampwatch_store_pending", "records waiting to be written", store.pending()),
            ]
        return out


class MonitorMetrics:
    """The metrics of one monitor. Use :func:`metrics_for` (one instance per monitor)."""

    def __init__(self, monitor: Monitor) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._alerts = _AlertCounter()
        self.registry.register(_StateCollector(monitor, self._alerts))
        self.tick = Histogram(
            "crampwatch_tick_seconds", "time of one tick", registry=self.registry, buckets=_TICK_BUCKETS
        )
        self.ingest = Histogram(
            "crampwatch_ingest_seconds", "time to apply one message", registry=self.registry, buckets=_INGEST_BUCKETS
        )
        monitor.sinks.append(self._alerts)
        monitor.observers.append(self.observe)

    def observe(self, routed: Routed, seconds: float) -> None:
        """Observer hook of :class:`Monitor`: one handled message and the time it took."""
        self.ingest.observe(seconds)
        for tick in routed.out.tick_seconds:
            self.tick.observe(tick)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


_BY_MONITOR: weakref.WeakKeyDictionary[Monitor, MonitorMetrics] = weakref.WeakKeyDictionary()


def metrics_for(monitor: Monitor) -> MonitorMetrics:
    """The (one) :class:`MonitorMetrics` of ``monitor``, created and hooked in on first use."""
    found = _BY_MONITOR.get(monitor)
    if found is None:
        found = _BY_MONITOR[monitor] = MonitorMetrics(monitor)
    return found
