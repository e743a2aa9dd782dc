"""benchmarks/tune_policy.py: replaying the recorded ticks with the defaults gives the pipeline's own alerts."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

import benchmarks.tune_policy as tp
import processors.level as level_mod
import processors.risk as risk_mod
from alerts.policy import PolicyConfig
from benchmarks._tune_record import Recording, alert_key, minute_means, overrides, replay
from monitor.commands._truth_eval import (
    ALARM_LEVELS,
    TruthRun,
    discrimination,
    pair_matrices,
    run_truth_job,
    warning_quality,
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Recording]:
    cache = tmp_path_factory.mktemp("tune") / "runs.pkl"
    recorded, took = tp.load_or_record(cache, ["hot-marathon", "squad"], 1, 1, jobs=1)
    assert took > 0 and cache.exists()
    again, took_again = tp.load_or_record(cache, ["hot-marathon", "squad"], 1, 1, jobs=1)
    assert took_again == 0.0 and [r.n for r in again] == [r.n for r in recorded]
    return recorded


def test_doctests() -> None:
    assert doctest.testmod(tp).failed == 0


def test_replaying_the_defaults_reproduces_the_pipelines_alerts(runs: list[Recording]) -> None:
    assert sum(len(r.alerts) for r in runs) >= 5  # not a vacuous equality
    assert all(r.n > 500 for r in runs)
    for r in runs:
        with overrides({}):
            assert [alert_key(a) for a in replay(r, PolicyConfig())] == [alert_key(a) for a in r.alerts]
    assert tp.check_defaults(runs) == 0


def test_the_default_row_scores_as_evaluate_scores_the_pipeline(runs: list[Recording]) -> None:
    own = [[(a.t, a.level, a.kind) for a in r.alerts if a.level in ALARM_LEVELS] for r in runs]
    expected = warning_quality(tp.truth_runs(runs, own), "current", 1800.0)
    row = tp.score(runs, {})
    assert {k: row[k] for k in expected} == expected
    assert row["advice"] == sum(1 for r in runs for a in r.alerts if a.level == "advice")


def test_candidates_change_the_alerts_and_the_constants_come_back(runs: list[Recording]) -> None:
    quiet = tp.score(runs, {"warmup_s": 1e6, "INTERCEPT": -9.0})
    assert quiet["advice"] == 0 and quiet["false_alarms"] == 0
    assert risk_mod.INTERCEPT == -3.7 and risk_mod.COEFFICIENTS["fatigue"] == 1.8
    with overrides({"INTERCEPT": -4.0, "coef.fatigue": 2.0}):
        assert risk_mod.INTERCEPT == -4.0 and risk_mod.COEFFICIENTS["fatigue"] == 2.0
        assert abs(risk_mod.INTERCEPT + risk_mod.PRIOR_CAP - (-0.2006707)) < 1e-6  # logit 0.45 kept
    assert risk_mod.INTERCEPT == -3.7 and risk_mod.COEFFICIENTS["fatigue"] == 1.8
    with pytest.raises(KeyError), overrides({"coef.nope": 1.0}):
        pass
    assert "nope" not in risk_mod.COEFFICIENTS


def test_main_prints_the_check_and_a_row_per_candidate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = tp.main(["--scenario", "squad", "--athletes", "1", "--jobs", "1", "--cache", str(tmp_path / "c.pkl"),
                    "--grid", "alarm_reminder_s=2700,3600", "--candidate", "EVIDENCE_HIGH=1.2"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "reproduces the pipeline's alerts in 1/1 runs" in out
    for text in ("defaults", "alarm_reminder_s=2700", "alarm_reminder_s=3600", "EVIDENCE_HIGH=1.2", "AUC", "gain CI"):
        assert text in out


def test_the_replayed_minute_means_are_evaluates_own(runs: list[Recording]) -> None:
    """The AUC's inputs: the replayed risk and the baseline per elapsed minute are exactly what
    ``evaluate --truth`` computes from the pipeline's statuses for the same runner."""
    for r, ref in zip(runs, ["hot-marathon", "squad"], strict=True):
        risks: list[float] = []
        with overrides({}):
            replay(r, PolicyConfig(), risks)
            risk_min, base_min = minute_means(r, risks)
        own = run_truth_job((ref, 0, 1, ("current",)))
        assert len(risks) == r.n and len(risk_min) == len(own.risk_min) > 60
        assert np.allclose(risk_min, own.risk_min, rtol=0, atol=1e-12, equal_nan=True)
        assert np.allclose(base_min, own.base_min, rtol=0, atol=1e-12, equal_nan=True)


def test_a_row_carries_the_auc_of_the_risk_and_of_the_baseline(runs: list[Recording]) -> None:
    """Two runners can make no case (onsets at least 6 min into the run) against a control; the AUC comes from
    ``discrimination`` on the replayed minute means, here checked on a hand-made pair of runs."""
    row = tp.score(runs, {}, bootstrap=20)
    assert {"auc", "baseline_auc", "auc_diff_ci", "pairs"} <= set(row)
    case = TruthRun("s", "a", 0.0, 3600.0, {"current": 1800.0}, (), (0.2,) * 60, (-3.0,) * 60)
    ctrl = TruthRun("s", "b", 0.0, 3600.0, {"current": None}, (), (0.1,) * 60, (-2.0,) * 60)
    d = discrimination([case, ctrl], "current", b=0)
    assert (d["auc"], d["baseline_auc"], d["auc_diff_ci"]) == (1.0, 0.0, None)
    minutes = [((0.2,) * 60, (-3.0,) * 60), ((0.1,) * 60, (-2.0,) * 60)]
    tr = tp.truth_runs(runs, [[], []], minutes)
    assert [t.risk_min for t in tr] == [m[0] for m in minutes]


def test_the_gain_over_the_defaults_is_paired() -> None:
    """The interval of AUC(candidate) − AUC(defaults) resamples the same runners for both: a candidate that
    ranks every pair as the defaults do gains exactly 0; one that turns every pair around loses the whole AUC
    (1.0: the case is above every control) in every resample."""
    case = TruthRun("s", "a", 0.0, 3600.0, {"current": 1800.0}, (), (0.2,) * 60, (-3.0,) * 60)
    ctrls = [TruthRun("s", f"c{i}", 0.0, 3600.0, {"current": None}, (), (0.05 * i,) * 60, (-2.0,) * 60)
             for i in range(4)]  # fmt: skip
    cases, elig, m, _ = pair_matrices([case, *ctrls], "current")
    rows: list[dict[str, object]] = [{"pairs_matrix": (cases, elig, m)}, {"pairs_matrix": (cases, elig, m.copy())},
                                     {"pairs_matrix": (cases, elig, 1.0 - m)}]  # fmt: skip
    tp.gain_over_defaults(rows, 5, bootstrap=200)
    assert "auc_gain_ci" not in rows[0] and rows[1]["auc_gain_ci"] == [0.0, 0.0]
    assert float(m.sum()) == 4.0 and rows[2]["auc_gain_ci"] == [-1.0, -1.0]


def test_the_gate_and_the_level_thresholds_are_settings_and_come_back() -> None:
    """``gate.NAME`` moves the evidence the gate reads, ``coef.NAME`` only the risk's number, ``ENTER.i`` the risk at
    which a level is entered; all restored afterwards, and thresholds that would not increase are refused."""
    gate, enter = dict(risk_mod.GATE_COEFFICIENTS), level_mod.ENTER
    inputs = {"pace_over_training": 1.0, "fatigue": 0.5, "cardiac": 1.0}
    before = risk_mod.risk_of(inputs)
    with overrides({"coef.fatigue": 0.0, "coef.cardiac": 0.0}):
        number_only = risk_mod.risk_of(inputs)
    assert number_only.evidence == before.evidence == 1.5 and number_only.risk < before.risk
    with overrides({"gate.fatigue": 0.9, "ENTER.2": 0.3, "ENTER.3": 0.5}):
        assert risk_mod.risk_of(inputs).evidence == 1.05 and risk_mod.risk_of(inputs).risk == before.risk
        assert (0.0, enter[1], 0.3, 0.5) == level_mod.ENTER
        assert level_mod.next_level("elevated", 0.29) == "elevated" and level_mod.next_level("elevated", 0.3) == "high"
        assert level_mod.next_level("high", 0.5) == "critical"
    assert gate == risk_mod.GATE_COEFFICIENTS and enter == level_mod.ENTER
    with pytest.raises(ValueError), overrides({"ENTER.2": 0.2}):
        pass
    with pytest.raises(KeyError), overrides({"ENTER.4": 0.9}):
        pass
    with pytest.raises(KeyError), overrides({"gate.heat": 0.9}):
        pass
    assert enter == level_mod.ENTER and gate == risk_mod.GATE_COEFFICIENTS
