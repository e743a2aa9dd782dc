"""The benchmark suite: one command, one table.

    python -m benchmarks.suite            # the full suite (~10 min on 2 shared cores)
    python -m benchmarks.suite --quick    # tiny sizes: checks that everything runs (CI smoke)

Starts its own Mosquitto on a free port, with ``set_tcp_nodelay true`` as ``deploy/mosquitto/crampwatch.conf`` sets it
(``--broker-nodelay off``: Mosquitto's default, Nagle's algorithm on its sockets). Each consumer, the load
generator and the offline benchmarks run in their own processes (``benchmarks/consumers.py``,
``benchmarks/loadgen.py``, ``benchmarks/offline.py``). Rows:

1. throughput — the same pre-built load (per-stream samples, as fast as possible) consumed in turn by a bare
   aiomqtt consumer, a bare paho consumer and the monitor, on the same broker in the same run; the ratios;
2. paced real time — per-stream samples at 4 msg/s per athlete: the largest athlete count the monitor keeps up
   with (done handling ≤ 2 s after the last message was published), from a doubling search;
3. latency at 1,000 athletes (frames, 1/s each, after a warm-up so alerts fire): ingest → status and
   ingest → alert p50/p99 (receive time of the status/alert minus the time the generator published event second t);
   every 7th athlete has a cramp history in its profile, so 143 of them reach an alert in the paced window;
4. RSS per athlete at 10 min and 3 h of event time; in-service tick per athlete; offline analyze of a 3-h run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._procs import Proc, consumer, loadgen, log, offline
from benchmarks.machine import describe, measure

__all__ = ["AT_RISK", "PARTS", "SIZES", "Proc", "consumer", "latency", "loadgen", "log", "offline", "run", "table"]


# ---- 1. throughput --------------------------------------------------------------------------------------
def throughput(port: int, athletes: int, seconds: int) -> dict[str, Any]:
    expect = athletes * seconds * 4
    out: dict[str, Any] = {"athletes": athletes, "messages": expect}
    for kind in ("aiomqtt", "paho", "monitor"):
        log(f"throughput: {kind}, {expect:,} messages")
        c = consumer(kind, port, "--expect", str(expect), "--idle", "5")
        sent = loadgen(port, "--athletes", str(athletes), "--seconds", str(seconds), "--mode", "samples")
        got = c.next("kind")
        c.end()
        out[kind] = got
        out[f"{kind}_publish_rate"] = sent["rate"]
    return out


# ---- 2. paced capacity -----------------------------------------------------------------------------------
def keeps_up(port: int, athletes: int, seconds: int) -> tuple[bool, float]:
    """Paced samples for ``athletes``; (kept up, seconds the monitor needed after the last publish)."""
    log(f"paced: {athletes:,} athletes for {seconds} s")
    c = consumer("monitor", port, "--progress", "--idle", "600")
    sent = loadgen(port, "--athletes", str(athletes), "--seconds", str(seconds), "--mode", "samples", "--paced")
    done_at = time.time()
    lag = float("inf")
    for line in c.progress():
        if "handled" in line and line["handled"] >= sent["published"]:
            lag = max(0.0, line["wall"] - done_at)
            break
        if time.time() - done_at > 30:
            break
    c.end()
    return lag <= 2.0, lag


def capacity(port: int, start: int, seconds: int, limit: int) -> dict[str, Any]:
    trials: list[tuple[int, bool, float]] = []
    n, best = start, 0
    while n <= limit:
        ok, lag = keeps_up(port, n, seconds)
        trials.append((n, ok, lag))
        if not ok:
            break
        best = n
        n *= 2
    if trials and not trials[-1][1] and best:  # one bisection step between the last good and the first bad
        mid = (best + trials[-1][0]) // 2
        ok, lag = keeps_up(port, mid, seconds)
        trials.append((mid, ok, lag))
        best = mid if ok else best
    n = start // 2
    while not best and n >= max(1, start // 8):  # the first count failed: halve (at most three times)
        ok, lag = keeps_up(port, n, seconds)
        trials.append((n, ok, lag))
        best = n if ok else 0
        n //= 2
    return {"largest": best, "below": min((t[0] for t in trials if not t[1]), default=None), "trials": trials}


# ---- 3. latency -------------------------------------------------------------------------------------------
#: Every AT_RISK-th athlete of the latency run has a cramp history (loadgen --at-risk): its first alert comes as the
#: alert policy's 10-min warm-up ends, at event second 600 + i % 30, inside the paced part (590-630 at full size).
AT_RISK = 7


def latency(
    port: int, athletes: int, warmup: int, seconds: int, workdir: Path, sync_start: bool = False, gc_guard: str = "on"
) -> dict[str, Any]:
    # small batches: a warm-up message holds 2 ticks, so 500-message batches kept the event loop (publisher,
    # keepalive) waiting for seconds on a loaded machine and the broker dropped the connection
    made_file = workdir / "made.json"
    flags = ("--progress", "--idle", "900", "--batch", "50", "--made", str(made_file), "--gc-guard", gc_guard)
    mon = consumer("monitor", port, *flags)
    out_file = workdir / "collected.json"
    col = consumer("collect", port, "--idle", "900", "--out", str(out_file))
    log(f"latency: warm-up of {athletes:,} athletes x {warmup} s")
    starts = ["--sync-start"] if sync_start else []  # default: watches started over 30 s, ticks spread over 5 s
    warm = loadgen(
        port, "--athletes", str(athletes), "--seconds", "0", "--warmup", str(warmup), "--at-risk", str(AT_RISK), *starts
    )
    last, since = -1, time.monotonic()
    for line in mon.progress():  # the monitor works off the warm-up before the paced clock starts
        if "handled" not in line:
            continue
        if line["handled"] >= warm["warmup_messages"]:
            break
        if line["handled"] != last:
            last, since = line["handled"], time.monotonic()
        elif time.monotonic() - since > 30:  # stalled (messages lost on a reconnect): go on, and say so
            log(f"latency: the monitor stalled at {last:,} of {warm['warmup_messages']:,} warm-up messages")
            break
    log(f"latency: paced {seconds} s")
    sent = loadgen(
        port, "--athletes", str(athletes), "--seconds", str(seconds), "--offset", str(warmup), "--mode", "frame",
        "--paced",
    )  # fmt: skip
    time.sleep(3.0)  # statuses of the last seconds still on their way (a benchmark, not test synchronisation)
    col.close()
    col.next("kind")
    col.end()
    mon.end()
    lines = list(mon.progress())  # the monitor's progress lines, queued meanwhile, and its last line
    work = [line for line in lines if "cpu" in line]
    rows = json.loads(out_file.read_text())
    result: dict[str, Any] = {
        "athletes": athletes, "at_risk": len(range(0, athletes, AT_RISK)), "sync_start": sync_start,
        "monitor": _paced_work(work, sent),
    }  # fmt: skip
    result["monitor"]["rss_kb"] = next((line["rss_kb"] for line in lines if "rss_kb" in line), None)
    result["monitor"]["gc"] = next((line["gc"] for line in lines if "gc" in line), None)
    result.update(_latencies(rows, sent, json.loads(made_file.read_text())))
    return result


def _percentiles(lat: list[float]) -> dict[str, Any]:
    lat.sort()
    return {
        "n": len(lat),
        "p50_ms": 1000 * lat[len(lat) // 2] if lat else None,
        "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else None,
    }


def _latencies(rows: list[list[Any]], sent: dict[str, Any], made: list[list[Any]]) -> dict[str, Any]:
    """Ingest → status/alert per message: receive time minus the time the generator handed the athlete's frame of
    second ``t`` to paho (``status``, ``alert``); and, as measured before, minus the start of second ``t`` (the
    frames of a second are spread over it, so this adds 0-0.95 s: ``*_from_second``). Statuses split at the time
    the monitor's router made them: ingest → made (``status_made``) and made → received (``status_delivered``)."""
    start_event, walls, size = sent["paced_start_event"], sent["part_walls"], sent["part_size"]
    shift = sent["paced_start_wall"] - start_event

    def ingest(r: list[Any]) -> float:
        return float(walls[int(r[2] - start_event)][int(r[4][1:]) // size])

    out: dict[str, Any] = {}
    for kind in ("status", "alert"):
        mine = [r for r in rows if r[1] == kind and not r[3] and start_event <= r[2] < start_event + len(walls)]
        out[kind] = _percentiles([r[0] - ingest(r) for r in mine])
        out[f"{kind}_from_second"] = _percentiles([r[0] - (r[2] + shift) for r in mine])
        if kind == "status":
            at = {(a, t): wall for a, t, wall in made}
            timed = [(r, at[r[4], r[2]]) for r in mine if (r[4], r[2]) in at]
            out["status_made"] = _percentiles([m - ingest(r) for r, m in timed])
            out["status_delivered"] = _percentiles([r[0] - m for r, m in timed])
    return out


def _paced_work(lines: list[dict[str, Any]], sent: dict[str, Any]) -> dict[str, Any]:
    """The monitor's CPU and handling time per wall second over the paced part."""
    t0, t1 = sent["paced_start_wall"], sent["paced_start_wall"] + sent["wall_s"]
    inside = [line for line in lines if t0 <= line["wall"] <= t1]
    if len(inside) < 2:
        return {}
    a, b = inside[0], inside[-1]
    span = b["wall"] - a["wall"]
    return {
        "wall_s": span,
        "cpu_per_s": (b["cpu"] - a["cpu"]) / span,
        "busy_per_s": (b["busy"] - a["busy"]) / span,
        "handled_per_s": (b["handled"] - a["handled"]) / span,
    }


# ---- the table ----------------------------------------------------------------------------------------------
def _f(x: float | None, unit: str = "", digits: int = 0) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}{unit}"


def latency_rows(lat: dict[str, Any]) -> list[tuple[str, str, str]]:
    def pair(d: dict[str, Any]) -> str:
        return f"{_f(d['p50_ms'], ' ms')} / {_f(d['p99_ms'], ' ms')}"

    n, mon = lat["athletes"], lat.get("monitor") or {}
    starts = "watches started in one second" if lat.get("sync_start") else "watches started over 30 s"
    risk = f"{lat['at_risk']:,} at risk, " if lat.get("at_risk") else ""
    rows = [
        (
            f"ingest → status p50 / p99, {n:,} athletes (frames; {starts})",
            pair(lat["status"]),
            "p99 ≤ 100 ms (goal ≤ 20)",
        ),
        ("… from the start of the frame's second (frames spread over it)", pair(lat["status_from_second"]), ""),
        (
            "… ingest → made by the router / made → received",
            f"{pair(lat['status_made'])}; {pair(lat['status_delivered'])}" if "status_made" in lat else "n/a",
            "",
        ),
        (f"ingest → alert p50 / p99, {n:,} athletes ({risk}{lat['alert']['n']} alerts)", pair(lat["alert"]), ""),
    ]
    if "cpu_per_s" in mon:
        rss = f", RSS {mon['rss_kb'] / 1024:,.0f} MB at the end" if mon.get("rss_kb") else ""
        rows.append((f"monitor during the paced part ({mon['handled_per_s']:,.0f} msg/s)",
                     f"{mon['cpu_per_s']:.2f} s CPU / s ({mon['busy_per_s']:.2f} s handling){rss}", ""))  # fmt: skip
    gc = mon.get("gc")
    if gc and "gen2" in gc:
        full = gc["gen2"]
        rows.append((f"monitor's full GC collections, whole run (guard {gc['guard']}; monitor.gcguard)",
                     f"{full['n']} in {full['total_ms']:,.0f} ms, longest {full['max_ms']:,.0f} ms", ""))  # fmt: skip
    return rows


def _throughput_rows(th: dict[str, Any]) -> list[tuple[str, str, str]]:
    mon, aio, paho = th["monitor"]["rate"], th["aiomqtt"]["rate"], th["paho"]["rate"]
    return [
        ("monitor rate (per-stream samples, as fast as possible)", f"{mon:,.0f} msg/s", ""),
        ("bare aiomqtt consumer, same broker and load", f"{aio:,.0f} msg/s", ""),
        ("bare paho consumer, same broker and load", f"{paho:,.0f} msg/s", ""),
        ("monitor / bare aiomqtt", f"{mon / aio:.2f}x" if aio else "n/a", "≥ 0.8x (goal ≥ 1.2x)"),
        ("monitor / bare paho", f"{mon / paho:.2f}x" if paho else "n/a", ""),
        (
            "CPU per message: monitor / bare aiomqtt / bare paho (the process's, first to last message)",
            " / ".join(f"{th[k].get('cpu_us_per_msg', float('nan')):.1f}" for k in ("monitor", "aiomqtt", "paho"))
            + " µs",
            "",
        ),
    ]


def _capacity_row(cap: dict[str, Any]) -> tuple[str, str, str]:
    return ("athletes at paced real time (4 msg/s each), one process",
            f"{cap['largest']:,}" + (f" (not {cap['below']:,})" if cap.get("below") else "") if cap["largest"]
            else f"< {min(t[0] for t in cap['trials']):,}", "≥ 5,000 (goal ≥ 10,000)")  # fmt: skip


def table(r: dict[str, Any]) -> str:
    """The rows of whatever parts ``r`` holds (the whole suite, or ``--only`` one part)."""
    rows = [("machine (`python -m benchmarks.machine`)", describe(r["machine"]), "")] if "machine" in r else []
    if "broker" in r:
        on = r["broker"]["set_tcp_nodelay"]
        nodelay = "`set_tcp_nodelay true` (as deploy/mosquitto/crampwatch.conf)" if on else "`set_tcp_nodelay false`"
        rows.append(("broker", f"Mosquitto on localhost, {nodelay}", ""))
    rows += _throughput_rows(r["throughput"]) if "throughput" in r else []
    rows += [_capacity_row(r["capacity"])] if "capacity" in r else []
    rows += latency_rows(r["latency"]) if "latency" in r else []
    if "rss" in r:
        rows.append((f"RSS per athlete at {r['rss']['marks'][0]} / {r['rss']['marks'][-1]} min of event time",
                     f"{_f(r['rss']['kb_at_10'], ' KB')} / {_f(r['rss']['kb_at_end'], ' KB')}",
                     "≤ 200 KB flat (goal ≤ 64)"))  # fmt: skip
    if "tick" in r:
        per = r["tick"].get("athletes_per_round")
        how = f"; a second's ticks together, {per:g} athletes a round" if per else ""
        rows.append((f"in-service tick per athlete (window, engine, policy, status, encode{how}), median / p95",
                     f"{r['tick']['tick_us_median']:.0f} / {r['tick']['tick_us_p95']:.0f} µs",
                     "≤ 120 µs (goal ≤ 40)"))  # fmt: skip
    if "analyze" in r:
        rows.append((f"offline analyze, {r['analyze']['event_s'] / 3600:g}-h run",
                     f"{r['analyze']['x_real_time']:,.0f}x real time", "≥ 20,000x (goal ≥ 100,000x)"))  # fmt: skip
    lines = ["| figure | measured | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


SIZES = {
    "full": {"tp_athletes": 400, "tp_seconds": 75, "cap_start": 1000, "cap_seconds": 20, "cap_limit": 16000,
             "lat_athletes": 1000, "lat_warmup": 590, "lat_seconds": 40, "rss_athletes": 50, "rss_marks": "10,180",
             "tick_athletes": 50, "tick_minutes": 5, "analyze_hours": 3},
    "quick": {"tp_athletes": 5, "tp_seconds": 4, "cap_start": 5, "cap_seconds": 3, "cap_limit": 5,
              "lat_athletes": 5, "lat_warmup": 120, "lat_seconds": 6, "rss_athletes": 3, "rss_marks": "1,2",
              "tick_athletes": 2, "tick_minutes": 1, "analyze_hours": 0.05},
}  # fmt: skip


PARTS = ("throughput", "capacity", "latency", "offline")


def run(
    quick: bool,
    only: str | None = None,
    keep: str | None = None,
    sync_start: bool = False,
    gc_guard: str = "on",
    nodelay: bool = True,
) -> dict[str, Any]:
    """The suite's parts (``only``: one of :data:`PARTS`) at quick or full sizes; ``nodelay``: the broker sends
    without Nagle's algorithm (``set_tcp_nodelay true``, as the deploy configuration has it)."""
    from tests.brokers import Mosquitto

    s = SIZES["quick" if quick else "full"]
    results: dict[str, Any] = {"sizes": s, "machine": measure()}
    want = {only} if only else set(PARTS)
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
    with contextlib.nullcontext(keep) if keep else tempfile.TemporaryDirectory(prefix="crampwatch-bench-") as tmp:
        broker = Mosquitto(Path(tmp), extra=f"set_tcp_nodelay {str(nodelay).lower()}\n")
        if want - {"offline"}:
            results["broker"] = {"set_tcp_nodelay": nodelay}
            broker.start()
        try:
            if "throughput" in want:
                results["throughput"] = throughput(broker.port, s["tp_athletes"], s["tp_seconds"])
            if "capacity" in want:
                results["capacity"] = capacity(broker.port, s["cap_start"], s["cap_seconds"], s["cap_limit"])
            if "latency" in want:
                lat = (s["lat_athletes"], s["lat_warmup"], s["lat_seconds"], Path(tmp), sync_start, gc_guard)
                results["latency"] = latency(broker.port, *lat)
        finally:
            if want - {"offline"}:
                broker.stop()
    if "offline" in want:
        results.update(offline_rows(s, quick))
    return results


def offline_rows(s: dict[str, Any], quick: bool) -> dict[str, Any]:
    log("offline: rss, tick, analyze")
    marks = s["rss_marks"].split(",")
    rss = offline("rss", "--athletes", str(s["rss_athletes"]), "--marks", s["rss_marks"])
    rss["marks"] = marks
    rss["kb_at_10"], rss["kb_at_end"] = rss[f"kb_per_athlete_{marks[0]}min"], rss[f"kb_per_athlete_{marks[-1]}min"]
    warm = "5" if quick else "60"
    tick = offline(
        "tick", "--athletes", str(s["tick_athletes"]), "--minutes", str(s["tick_minutes"]), "--warm-minutes", warm
    )
    return {"rss": rss, "tick": tick, "analyze": offline("analyze", "--hours", str(s["analyze_hours"]))}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="crampwatch benchmark suite: one table")
    ap.add_argument("--table", metavar="FILE", help="print the table of an earlier --json FILE (no run)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke: everything runs, numbers meaningless)")
    ap.add_argument("--json", metavar="FILE", help="also write every raw result to FILE")
    ap.add_argument(
        "--only",
        choices=PARTS,
        help="run one part only (latency ~3-5 min, throughput ~2 min, capacity ~3-6 min at full size)",
    )
    ap.add_argument(
        "--sync-start",
        action="store_true",
        help="latency: every watch starts in the same second, so all ticks fall due together (worst case)",
    )
    ap.add_argument(
        "--gc-guard",
        choices=("on", "off"),
        default="on",
        help="latency: the monitor freezes long-lived objects (monitor.gcguard; default) or not",
    )
    ap.add_argument(
        "--broker-nodelay",
        choices=("on", "off"),
        default="on",
        help="Mosquitto's set_tcp_nodelay: on as deploy/mosquitto/crampwatch.conf sets it (default), off: its default",
    )
    ap.add_argument("--keep", metavar="DIR", help="keep the raw files (broker log, collected statuses) in DIR")
    args = ap.parse_args(argv)
    if args.table:
        print(table(json.loads(Path(args.table).read_text())))
        return
    began = time.monotonic()
    results = run(
        args.quick, only=args.only, keep=args.keep, sync_start=args.sync_start,
        gc_guard=args.gc_guard, nodelay=args.broker_nodelay == "on",
    )  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print(table(results))
    print(f"\n(suite took {time.monotonic() - began:.0f} s; sizes: {'quick' if args.quick else 'full'})")


if __name__ == "__main__":
    main()
