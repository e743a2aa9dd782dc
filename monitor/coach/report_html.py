"""The post-run report as one self-contained HTML file: summary, charts (matplotlib, inline SVG, Agg backend,
imported only here and only when a report is drawn), the alerts with their reasons and what the runner did
after each. :mod:`monitor.coach.report_pdf` writes the same charts and summary as a PDF.

The summary numbers are also embedded as JSON (``<script type="application/json" id="report-numbers">``,
never executed) so tools and tests can read exactly what the page prints.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from monitor.coach.report import RunReport, response
from monitor.coach.words import HR_ZONE_BOUNDS, MIN_REASON, TRAITS, num, reason_text
from monitor.core.eventtime import DATED_FROM

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LEVEL_COLOURS: Final = {"low": "#2e7d32", "elevated": "#e0a400", "high": "#d4520c", "critical": "#c01f1f"}
ALERT_COLOURS: Final = {"advice": "#2160a8", "warning": "#d4520c", "critical": "#c01f1f"}
ZONE_COLOURS: Final = ("#e8f1fb", "#e3f4e4", "#fff6d6", "#ffe9d6", "#fde0e0")
#: The charts, in order: key, title, unit.
CHARTS: Final = (
    ("hr", "Heart rate", "bpm"),
    ("pace", "Pace", "min/km"),
    ("cadence", "Cadence", "spm"),
    ("stride_m", "Stride (two steps)", "m"),
    ("temp", "Temperature", "°C"),
    ("risk", "Cramp risk", "%"),
)

#: Seconds between two statuses that the charts leave as a gap (statuses come every 5 s while a session runs).
GAP_S: Final = 60.0
#: What a chart of a stream that never reported says (the live page's "No data this session.").
NO_DATA: Final = "No data this run."


def _matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "crampwatch", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False})  # fmt: skip


def fmt_pace(v: Any) -> str:
    """m:ss (s/km), "-" when unknown.

    >>> fmt_pace(301.4), fmt_pace(None)
    ('5:01', '-')
    """
    x = num(v)
    if x is None:
        return "-"
    total = round(x)
    return f"{total // 60}:{total % 60:02d}"


def fmt_duration(v: Any) -> str:
    """h:mm:ss, always with the hours, as ``crampwatch sessions`` and the dashboard print it ("1:20" reads as
    1 h 20 min when it means 80 s).

    >>> fmt_duration(2833.0), fmt_duration(59), fmt_duration(7384)
    ('0:47:13', '0:00:59', '2:03:04')
    """
    x = num(v)
    if x is None:
        return "-"
    t = round(x)
    return f"{t // 3600}:{t % 3600 // 60:02d}:{t % 60:02d}"


def _fmt(v: Any, digits: int = 0, unit: str = "") -> str:
    x = num(v)
    return "-" if x is None else f"{x:.{digits}f}{unit}"


# ---- charts ----------------------------------------------------------------------------------------------------
def _series(rep: RunReport, key: str) -> tuple[list[float], list[float]]:
    start = rep.start or 0.0
    xs: list[float] = []
    ys: list[float] = []
    last: float | None = None
    for s in rep.statuses:
        t, v = num(s.get("t")), num(s.get(key))
        if t is None:
            continue
        if last is not None and t - last > GAP_S:  # no status between two sessions: a gap, not a straight line
            xs.append((last - start) / 60.0)
            ys.append(float("nan"))
        last = t
        if v is not None and key == "pace" and v > 1200:
            v = None  # stopped or walking: a gap, not a spike
        if v is not None and key == "cadence" and v <= 0:
            v = None  # stopped: a gap, as on the dashboard and in the average cadence (0s flattened the scale)
        if v is not None and key == "risk":
            v *= 100.0
        xs.append((t - start) / 60.0)
        ys.append(float("nan") if v is None else v)
    return xs, ys


def robust_range(values: Sequence[float], min_span: float, *, whole: bool = False) -> tuple[float, float] | None:
    """The 2nd–98th percentile range, padded, at least ``min_span`` wide (a few stops or GPS spikes do not
    squash the chart; values outside are cut at the edge). ``whole``: the whole range, for the stride, which the
    monitor already bounds to plausible strides (none above 4.0 m, ``processors/stride.py``): its highest values
    are the run — a sprint's 3.5 m over 15 s of a 12-min run at 1.4 m was cut at the 98th percentile's 1.6.

    >>> robust_range([150.0] * 98 + [0.0, 300.0], 20.0), robust_range([1.4] * 147 + [3.5] * 3, 0.3, whole=True)
    ((138.4, 161.6), (1.2, 3.7))
    """
    import numpy as np

    x = np.asarray([v for v in values if v == v], dtype=float)
    if x.size == 0:
        return None
    lo, hi = (float(x.min()), float(x.max())) if whole else (float(v) for v in np.percentile(x, [2, 98]))
    if hi - lo < min_span:
        mid = (hi + lo) / 2
        lo, hi = mid - min_span / 2, mid + min_span / 2
    pad = 0.08 * (hi - lo)
    if whole:  # outwards to 0.1: rounding must not cut the highest value it is there to show
        return math.floor(10 * (lo - pad)) / 10, math.ceil(10 * (hi + pad)) / 10
    return round(lo - pad, 1), round(hi + pad, 1)


#: Smallest y span (chart units) of each chart, so that a steady run does not look like a storm.
MIN_SPAN: Final = {"hr": 30.0, "pace": 60.0, "cadence": 16.0, "stride_m": 0.3, "temp": 4.0}


def with_target(lim: tuple[float, float] | None, target: float | None) -> tuple[float, float] | None:
    """The pace range widened to show the target line with 10 s/km to spare (the legend names it: a target off
    the chart was listed but not drawn).

    >>> with_target((350.0, 390.0), 335.0), with_target((350.0, 390.0), 360.0), with_target(None, 335.0)
    ((325.0, 390.0), (350.0, 390.0), None)
    """
    if lim is None or target is None:
        return lim
    return min(lim[0], target - 10.0), max(lim[1], target + 10.0)


def pace_step(span: float) -> float:
    """Seconds per km between pace ticks: 30, 60 on a wide range, coarser on a walk/run's (polar-m400-run.tcx, 4:00
    to 18:00, had 15 labels a minute apart on the 2.3-inch chart).

    >>> pace_step(200.0), pace_step(400.0), pace_step(840.0), pace_step(2000.0)
    (30.0, 60.0, 120.0, 300.0)
    """
    return next((float(s) for s in (30, 60, 120) if span / s <= 8), 300.0)


def _pace_ticks(ax: Axes, ys: Sequence[float], target: float | None) -> None:
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    lim = with_target(robust_range(ys, MIN_SPAN["pace"]), target)
    if lim is not None:
        ax.set_ylim(lim[1], lim[0])  # faster is up
        ax.yaxis.set_major_locator(MultipleLocator(pace_step(lim[1] - lim[0])))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_pace(v)))


def _chart(rep: RunReport, key: str, title: str, unit: str) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MultipleLocator

    fig = Figure(figsize=(9.0, 2.3), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    xs, ys = _series(rep, key)
    colour = "#c01f1f" if key == "risk" else "#1b1f24"
    ax.plot(xs, ys, color=colour, linewidth=1.4, label=title)
    ax.set_ylabel(f"{title} ({unit})")
    ax.set_xlabel("minutes since the start")
    ax.grid(True, color="#e6e9ed", linewidth=0.8)
    ax.set_xlim(0, max(xs) if xs and max(xs) > 0 else 1)
    finite = [y for y in ys if y == y]
    if key == "hr":
        _hr_bands(ax, rep, finite)
    elif key == "pace":
        target = rep.target_pace
        _pace_ticks(ax, ys, target)
        if target is not None:
            ax.axhline(target, color="#2160a8", linestyle="--", linewidth=1.2, label=f"target {fmt_pace(target)}")
            ax.legend(loc="lower right", frameon=False)
    elif key in ("cadence", "stride_m", "temp") and (lim := robust_range(ys, MIN_SPAN[key], whole=key == "stride_m")):
        ax.set_ylim(*lim)  # the stride to the data: a sprint above the bulk is drawn, not cut at the edge
    elif key == "risk":
        ax.set_ylim(-6, 100)  # the level strip sits below 0 %: a low risk's line is not hidden under it
        ax.yaxis.set_major_locator(MultipleLocator(25))
        _level_strip(ax, rep, xs)
    for a in rep.alerts:
        t = num(a.get("t"))
        if t is None:
            continue
        x = (t - (rep.start or 0.0)) / 60.0
        c = ALERT_COLOURS.get(str(a.get("level")), "#2160a8")
        ax.axvline(x, color=c, linestyle=":", linewidth=1.2)
        if key == "risk" and (r := num(a.get("risk"))) is not None:
            ax.plot([x], [100 * r], marker="v", color=c, markersize=7)
    if not finite:  # no invented scale: matplotlib's default axis read "−0.04 … 0.04 °C" for a run without temperature
        ax.set_yticks([])
        ax.text(0.5, 0.5, NO_DATA, transform=ax.transAxes, ha="center", va="center", color="#5b6470")
    return fig


def _hr_bands(ax: Axes, rep: RunReport, finite: Sequence[float]) -> None:
    from matplotlib.ticker import MultipleLocator

    lim = robust_range(finite, MIN_SPAN["hr"])
    if lim is not None:
        lo, hi = lim
        ax.set_ylim(lo, hi)
        ax.yaxis.set_major_locator(MultipleLocator(10 if hi - lo <= 80 else 20))
    hr_max = rep.hr_max
    if hr_max is None:
        return
    bounds = [0.0, *(b * hr_max for b in HR_ZONE_BOUNDS), 1.5 * hr_max]
    for zone in range(5):
        ax.axhspan(bounds[zone], bounds[zone + 1], color=ZONE_COLOURS[zone], zorder=0, linewidth=0)
        mid = (max(bounds[zone], ax.get_ylim()[0]) + min(bounds[zone + 1], ax.get_ylim()[1])) / 2
        if ax.get_ylim()[0] < mid < ax.get_ylim()[1]:
            ax.text(1.005, mid, f"Z{zone + 1}", transform=ax.get_yaxis_transform(), fontsize=8, color="#5b6470",
                    va="center")  # fmt: skip


def _level_strip(ax: Axes, rep: RunReport, xs: Sequence[float]) -> None:
    levels = [str(s.get("level")) for s in rep.statuses if num(s.get("t")) is not None]
    for i in range(len(xs) - 1):
        colour = LEVEL_COLOURS.get(levels[i])
        if colour:
            ax.axvspan(xs[i], xs[i + 1], ymin=0, ymax=0.04, color=colour, linewidth=0)


def _svg(fig: Figure, prefix: str) -> str:
    """The figure as inline SVG; its ids get ``prefix`` so that several charts in one page never share one."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text[text.index("<svg") :], flags=re.S)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    return re.sub(r'(url\(#|href="#)', rf"\g<1>{prefix}-", text)


def charts(rep: RunReport, draw: Callable[[Figure, str], str] = _svg) -> list[tuple[str, str, str]]:
    """``(key, title, drawn)`` for every chart."""
    _matplotlib()
    return [(key, title, draw(_chart(rep, key, title, unit), f"c-{key}")) for key, title, unit in CHARTS]


# ---- HTML ------------------------------------------------------------------------------------------------------
CSS: Final = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1f24;max-width:1000px;
margin:0 auto;padding:1rem 1.2rem 3rem;background:#fff}h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.1rem;
margin:1.6rem 0 .5rem;border-bottom:1px solid #d9dee4;padding-bottom:.2rem}.muted{color:#5b6470}
table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;border-bottom:1px solid #eceff2;
text-align:left;vertical-align:top}th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:#5b6470}
.num{font-variant-numeric:tabular-nums;text-align:right}.grid{display:grid;grid-template-columns:repeat(auto-fill,
minmax(150px,1fr));gap:.5rem}.cell{border:1px solid #d9dee4;border-radius:8px;padding:.4rem .6rem}.cell b{display:
block;font-size:1.25rem}.cell span{font-size:.75rem;text-transform:uppercase;color:#5b6470}figure{margin:.4rem 0 1rem}
figure svg{width:100%;height:auto}.zones{display:flex;height:22px;border-radius:5px;overflow:hidden}.zones div{
font-size:.72rem;color:#1b1f24;text-align:center;line-height:22px;overflow:hidden}.pill{color:#fff;border-radius:
4px;padding:0 .35rem;font-size:.75rem;font-weight:700;text-transform:uppercase}.advice{background:#2160a8}
.warning{background:#d4520c}.critical{background:#c01f1f}@media print{h2{break-after:avoid}figure{break-inside:avoid}}
"""


def _cell(label: str, value: str) -> str:
    return f'<div class="cell"><span>{html.escape(label)}</span><b>{html.escape(value)}</b></div>'


def summary_cells(rep: RunReport, n: dict[str, Any]) -> list[tuple[str, str]]:
    """The summary as (label, value) in words and units, the same for the HTML page and the PDF."""
    ef = n["efficiency_factor"]
    peak = None if n["peak_risk"] is None else 100 * n["peak_risk"]
    dec = n["decoupling_pct"]
    cells = [
        ("Duration", fmt_duration(n["duration_s"])),
        ("Distance", _fmt(None if n["distance_m"] is None else n["distance_m"] / 1000, 2, " km")),
        (rep.pace_label, f"{fmt_pace(n['avg_pace_s_per_km'])} /km"),
        ("Average HR", _fmt(n["avg_hr_bpm"], 0, " bpm")),
        (rep.max_hr_label, _fmt(n["max_hr_bpm"], 0, " bpm")),
        ("Average cadence", _fmt(n["avg_cadence_spm"], 0, " spm")),
        ("TRIMP", _fmt(n["trimp"], 0)),
        ("Decoupling", "too little steady running" if dec is None else _fmt(dec, 1, " %")),
        ("Efficiency factor", _fmt(ef, 2, " m/min/bpm")),
        ("Peak risk", f"{_fmt(peak, 0, ' %')} ({n['peak_level'] or '-'})"),
        ("Alerts", str(n["alerts"])),
    ]
    return cells


def _summary(rep: RunReport, n: dict[str, Any]) -> str:
    out = '<div class="grid">' + "".join(_cell(k, v) for k, v in summary_cells(rep, n)) + "</div>"
    zones = n["hr_zone_pct"]
    if zones:
        bars = "".join(
            f'<div style="width:{z}%;background:{ZONE_COLOURS[i]}" title="Z{i + 1} {z} %">Z{i + 1} {z:.0f} %</div>'
            for i, z in enumerate(zones)
            if z > 0
        )
        rows = "".join(f"<td class=num>{z:.1f} %</td>" for z in zones)
        out += (
            "<h3>Time per heart-rate zone <span class=muted>(% of HRmax: Z1 &lt;60, Z2 60–70, "
            "Z3 70–80, Z4 80–90, Z5 ≥90)</span></h3>"
            f'<div class="zones" id="zone-bar">{bars}</div><table id="zones"><tr>'
            + "".join(f"<th class=num>Z{i}</th>" for i in range(1, 6))
            + f"</tr><tr>{rows}</tr></table>"
        )
    return out


def _sessions_note(rep: RunReport) -> str:
    """A file with more than 10 min of silence is several sessions: say which numbers cover what."""
    coach = rep.indicators.get("coach")
    sessions = coach.get("sessions") if isinstance(coach, dict) else None
    if not isinstance(sessions, int) or sessions < 2:
        return ""
    return (
        f'<p id="sessions-note">This file holds {sessions} sessions: it has more than 10 min without data, where the '
        "live monitor ends a session. Duration, distance, averages, TRIMP and time per zone cover the whole file; "
        "decoupling, the charts' risk and the alerts restart with each session.</p>"
    )


def _reason(a: dict[str, Any]) -> str:
    """The alert's three largest factors (each at least ``MIN_REASON``) in plain words, profile traits left out."""
    factors = a.get("factors")
    items = factors.items() if isinstance(factors, dict) else ()
    ranked = sorted(((x, k) for k, v in items if (x := num(v)) and x >= MIN_REASON and k not in TRAITS), reverse=True)
    return ", ".join(reason_text(k) for _, k in ranked[:3])


def _alerts(rep: RunReport) -> str:
    if not rep.alerts:
        return "<p class=muted>No alert in this run.</p>"
    start = rep.start or 0.0
    rows = []
    for a in rep.alerts:
        r = response(rep.statuses, a)
        level = html.escape(str(a.get("level")))
        if r["pace_after"] is None and r["stopped_s"]:  # only stopped or walked afterwards: no running pace
            pace = f"{fmt_pace(r['pace_before'])} /km → not running"
        else:
            pace = f"{fmt_pace(r['pace_before'])} → {fmt_pace(r['pace_after'])} /km"
        did = f"pace {pace}, cadence {_fmt(r['cadence_before'])} → {_fmt(r['cadence_after'])} spm"

        if r["stopped_s"]:
            did += f", stopped or walked {r['stopped_s']:.0f} s"
        if not r.get("after_s"):
            did = "no data after the alert"
        rows.append(
            f'<tr data-alert="{html.escape(str(a.get("id")))}"><td class=num>{fmt_duration(a["t"] - start)}</td>'
            f'<td><span class="pill {level}">{level}</span></td>'
            f"<td><b>{html.escape(str(a.get('message', '')))}</b><br>"
            f"<span class='muted reasons'>{html.escape(_reason(a))}</span>"
            f"<br><small class=muted>{html.escape(str(a.get('detail', '')))}</small></td>"
            f"<td>{html.escape(did)}</td></tr>"
        )
    return (
        "<table id=alerts><tr><th>time</th><th>level</th><th>alert and reasons</th>"
        "<th>the next 5 min (vs the 5 min before)</th></tr>" + "".join(rows) + "</table>"
    )


def render_html(rep: RunReport) -> str:
    """The whole report as one HTML document (no external resource of any kind)."""
    n = rep.numbers()
    name = rep.name or rep.athlete
    # the zone named: the report is written where the monitor runs, and read where the coach is
    # elapsed times from 0 (a CSV's h:mm:ss, before 2001-09-09) are no date: no '1970-01-01 00:00' (audit6)
    dated = rep.start is not None and rep.start >= DATED_FROM
    when = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(rep.start)) if dated else ""
    figures = "".join(
        f'<figure data-chart="{key}"><figcaption>{html.escape(title)}</figcaption>{svg}</figure>'
        for key, title, svg in charts(rep)
    )
    data = json.dumps(n, allow_nan=False).replace("</", "<\\/")
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>crampwatch report — {html.escape(name)} {html.escape(when)}</title><style>{CSS}</style></head><body>"
        f"<h1>{html.escape(name)} <span class=muted>· {html.escape(rep.squad)} · {html.escape(when)}</span></h1>"
        f"<p class=muted>{html.escape(rep.source)}</p>{_sessions_note(rep)}"
        f'<script type="application/json" id="report-numbers">{data}</script>'
        f"<h2>Summary</h2>{_summary(rep, n)}"
        "<h2>Charts <span class=muted>(dotted lines: alerts; heart-rate bands: the same zones, % of HRmax, as on "
        f"the live tile)</span></h2>{figures}"
        f"<h2>Alerts</h2>{_alerts(rep)}"
        "<p class=muted>Cramp-risk guidance from the run's data, not a diagnosis.</p></body></html>"
    )
