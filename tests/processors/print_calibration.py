"""Print the calibration tables of docs/science.md ("Calibration"):
``PYTHONPATH=. python tests/processors/print_calibration.py`` (not a test; the assertions are in
test_calibration.py and test_risk_evidence.py)."""

from __future__ import annotations

from processors.profile import Profile
from tests.processors.synth import Run, drive, easy_cool_run, hot_fast_run

HEAD = (
    "| min | risk | level | pace × training | HR | cadence | fatigue | decoupling % | drift bpm/h | sweat % "
    "| evidence | largest contributions |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def f(x: float | None, d: int = 2) -> str:
    return "–" if x is None else f"{x:.{d}f}"


def table(run: Run, prof: Profile, mins: list[int]) -> None:
    out = list(drive(run, prof))
    print(HEAD)
    for m in mins:
        o = min(out, key=lambda i: abs(i.elapsed_s - 60 * m))
        top = sorted(((v, k) for k, v in o.factors.items() if v > 0), reverse=True)[:3]
        tops = ", ".join(f"{k.replace('pace_over_training', 'pace')} +{v:.2f}" for v, k in top)
        cells = [
            str(m), f"{o.risk:.2f}", o.level, f(o.pace_over_training), f"{o.hr:.0f}", f"{o.cadence:.0f}",
            f(o.fatigue), f(o.decoupling_pct, 1), f(o.cardiac_drift_bpm_h, 1), f(o.sweat_loss_pct),
            f(o.values.get("risk_evidence")), tops,
        ]  # fmt: skip
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    hot = Profile(sex="male", age=45, hr_max=185, hr_rest=50, training_pace=330, longest_run_min=90)
    print("(a) plain")
    table(hot_fast_run(60, seed=1), Profile(training_pace=330), [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60])
    print("(a) hot profile")
    table(hot_fast_run(60, seed=1), hot, [30, 40, 45, 50, 60])
    print("(b)")
    table(easy_cool_run(60, seed=2), Profile(training_pace=330), [5, 15, 20, 30, 40, 50, 60])
