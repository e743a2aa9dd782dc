"""The post-run report as a PDF (matplotlib's PDF backend): a page with the HTML report's summary, the time per
zone and the alerts, then the same charts."""

from __future__ import annotations

from monitor.coach.report import RunReport
from monitor.coach.report_html import CHARTS, _chart, _matplotlib, fmt_duration, summary_cells


def pdf_lines(rep: RunReport) -> list[str]:
    """The PDF's first page: the HTML summary's labels and values (it printed the raw keys and numbers:
    "avg pace s per km: 777.42", "peak risk: 0.032"), the time per zone and the alerts."""
    n = rep.numbers()
    lines = [f"{rep.name or rep.athlete} · {rep.squad}", rep.source, ""]
    lines += [f"{label + ':':<20}{value}" for label, value in summary_cells(rep, n)]
    if n["hr_zone_pct"]:
        zones = ", ".join(f"Z{i} {z:.1f} %" for i, z in enumerate(n["hr_zone_pct"], 1))
        lines += ["", "Time per heart-rate zone (% of HRmax: Z1 <60, Z2 60-70, Z3 70-80, Z4 80-90, Z5 >=90):", zones]
    lines += ["", "Alerts:" if rep.alerts else "No alert in this run."]
    start = rep.start or 0.0
    lines += [f"  {fmt_duration(a['t'] - start)}  {a.get('level')}: {a.get('message')}" for a in rep.alerts]
    return lines


def render_pdf(rep: RunReport, path: str) -> None:
    """The summary and the charts as a PDF (one page of numbers, then the charts)."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    _matplotlib()
    with PdfPages(path, metadata={"Title": f"crampwatch report {rep.name or rep.athlete}"}) as pdf:
        page = Figure(figsize=(8.27, 11.69))
        page.text(0.06, 0.96, "\n".join(pdf_lines(rep)), va="top", family="monospace", fontsize=8)
        pdf.savefig(page)
        for key, title, unit in CHARTS:
            pdf.savefig(_chart(rep, key, title, unit))
