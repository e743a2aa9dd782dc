"""The real recordings in ../shared/realdata and what their devices said (the oracles), shared by the reader
tests, the analyze CLI tests and ``python -m tests.simulators.readers.oracles`` (prints docs/realdata.md's
table)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from simulators.readers import DeviceSummary, Recording, Summary, read_recording, summarize

#: tests/simulators/readers/oracles.py → repository root is parents[3]
REALDATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata"
FILES = ("fenix2-run-47min.fit", "fenix5-run-1min.fit", "polar-m400-run.tcx", "watch-run-2020-12-06.tcx")

#: Tolerances: HR in bpm, cadence / distance / duration relative.
HR_TOL_BPM = 2.0
CADENCE_TOL = 0.02
DISTANCE_TOL = 0.01
DURATION_TOL = 0.02
#: ... but never tighter than this many seconds (devices round lap times to whole seconds).
DURATION_FLOOR_S = 1.5

#: Device numbers that no rule consistent with the other 40-odd oracles reproduces; (file, label, field) →
#: (largest accepted error, why). Explained in docs/realdata.md.
KNOWN_DEVIATIONS: dict[tuple[str, str, str], tuple[float, str]] = {
    ("polar-m400-run.tcx", "lap 1", "distance_m"): (
        0.02,
        "the M400 closes lap 1's distance 3 s before the lap's end (142.9 m is its counter at 10:27:32; "
        "the last trackpoint of the lap, 10:27:34, says 145.4 m); lap 2 and the total agree",
    ),
    ("watch-run-2020-12-06.tcx", "lap 1", "avg_hr_bpm"): (
        7.5,
        "the file has no heart rate for the first 28 s of lap 1; the watch's 130 bpm counts that time as 0 bpm "
        "(that gives 129.3); ours averages what was measured (136.7 bpm): unknown is not 0",
    ),
}


@dataclass(frozen=True, slots=True)
class Check:
    file: str
    label: str  # "session", "laps combined", "lap 3", or "README" for the README's own numbers
    field: str
    ours: float | None
    device: float
    tolerance: float  # absolute for HR, relative otherwise
    relative: bool
    note: str = ""

    @property
    def error(self) -> float:
        assert self.ours is not None
        return (self.ours / self.device - 1.0) if self.relative else (self.ours - self.device)

    @property
    def ok(self) -> bool:
        return self.ours is not None and abs(self.error) <= self.tolerance + 1e-9

    def describe(self) -> str:
        unit = "%" if self.relative else " bpm"
        err = 100 * self.error if self.relative else self.error
        return f"{self.file} {self.label} {self.field}: ours {self.ours} device {self.device} ({err:+.2f}{unit})"


#: Numbers stated in the realdata README (the file's own summaries are checked as well, see :func:`checks`).
README_ORACLES: dict[str, dict[str, float]] = {
    "fenix2-run-47min.fit": {
        "distance_m": 9008.22,
        "duration_s": 2832.0,
        "avg_cadence_spm": 162.0,
        "avg_hr_bpm": 154.0,  # record mean (1 s records: time weighting and the plain mean agree)
        "max_hr_bpm": 178.0,
    },
    "fenix5-run-1min.fit": {
        "avg_hr_bpm": 90.0,
        "max_hr_bpm": 112.0,
        # the README gives the integer part, 83 strides/min; the session adds avg_fractional_cadence 0.671875
        "avg_cadence_spm": 2 * (83 + 0.671875),
        "distance_m": 157.56,
    },
}

_FIELDS = (
    ("duration_s", "duration_s", DURATION_TOL, True),
    ("distance_m", "distance_m", DISTANCE_TOL, True),
    ("avg_hr_bpm", "avg_hr_bpm", HR_TOL_BPM, False),
    ("max_hr_bpm", "max_hr_bpm", HR_TOL_BPM, False),
    ("avg_cadence_spm", "avg_cadence_spm", CADENCE_TOL, True),
)


def cadence_key(rec: Recording) -> str:
    """Which of our cadence averages matches the device's convention: Polar leaves out zero cadence."""
    return "avg_cadence_nonzero_spm" if (rec.creator or "").lower().startswith("polar") else "avg_cadence_spm"


def _compare(
    file: str, label: str, dev: DeviceSummary | dict[str, float], ours: Summary, rec: Recording
) -> list[Check]:
    out = []
    for ours_key, dev_key, tol, rel in _FIELDS:
        device = dev.get(dev_key) if isinstance(dev, dict) else getattr(dev, dev_key)
        if device is None:
            continue
        key = cadence_key(rec) if ours_key == "avg_cadence_spm" else ours_key
        value = getattr(ours, key)
        known = KNOWN_DEVIATIONS.get((file, label, ours_key))
        if ours_key == "duration_s" and device:
            tol = max(tol, DURATION_FLOOR_S / float(device))
        out.append(
            Check(
                file,
                label,
                key,
                value,
                float(device),
                known[0] if known else tol,
                rel,
                known[1] if known else "",
            )
        )
    return out


def checks(file: str, rec: Recording) -> list[Check]:
    """Every comparison of ours with the device for one recording: README numbers, session, laps combined,
    each lap."""
    whole = summarize(rec)
    out: list[Check] = []
    if file in README_ORACLES:
        out += _compare(file, "README", README_ORACLES[file], whole, rec)
    if rec.device is not None:
        out += _compare(file, rec.device.label, rec.device, whole, rec)
    for k, lap in enumerate(rec.laps):
        out += _compare(file, lap.label, lap, summarize(rec, lap=k), rec)
    return out


def table(folder: Path = REALDATA) -> str:
    """The ours-vs-device table of docs/realdata.md (Markdown)."""
    lines = [
        "| file | summary | field | ours | device | difference | within |",
        "|---|---|---|---|---|---|---|",
    ]
    for file in FILES:
        rec = read_recording(folder / file)
        for c in checks(file, rec):
            if c.ours is None:
                continue
            diff = f"{100 * c.error:+.2f} %" if c.relative else f"{c.error:+.1f} bpm"
            tol = f"{100 * c.tolerance:.3g} %" if c.relative else f"{c.tolerance:.1f} bpm"
            verdict = ("yes" if c.ok else "NO") + (" (known, see below)" if c.note else "")
            lines.append(
                f"| {file} | {c.label} | {c.field} | {c.ours:.1f} | {c.device:.1f} | {diff} | {verdict} ({tol}) |"
            )
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REALDATA
    print(table(folder))
