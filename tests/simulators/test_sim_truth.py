"""Issue 9.8: truth models of other forms, shadow mode, and ``crampwatch evaluate --truth``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from monitor.cli import main
from monitor.commands._truth_eval import JSON_KEYS, TruthRun, discrimination, evaluate_truth, parse_truths
from monitor.commands.evaluate import truth_runs
from processors.profile import Profile
from simulators.runner.truth import TRUTH_NAMES, TruthState, make_truth
from simulators.scenarios import load_scenario
from tests.simulators.test_sim_evaluate import HOT_15K, TINY


@pytest.fixture(scope="module")
def hot_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("truth") / "hot-15k.toml"
    path.write_text(HOT_15K)
    return path


def test_truth_models_differ_in_form() -> None:
    p = Profile(sex="male", age=50, cramp_history=True)
    fresh = TruthState(1.0, 0.0, 0.0, 15.0, 0.0, 0.0, 0.0)
    dry_hot = TruthState(1.0, 0.0, 0.0, 15.0, 4.0, 0.0, 0.0)  # 4 % fluid loss, nothing else
    tired = TruthState(1.0, 0.9, 0.5, 15.0, 0.0, 0.0, 0.0)
    late = TruthState(1.0, 0.0, 1.2, 15.0, 0.0, 0.0, 0.0)
    m = {n: make_truth(n, p, stretches=True, rng=np.random.default_rng(1)) for n in TRUTH_NAMES}
    assert m["dehydration"].hazard(dry_hot) > 50 * m["dehydration"].hazard(fresh)
    assert m["dehydration"].hazard(tired) == m["dehydration"].hazard(fresh)  # fatigue means nothing to it
    assert m["null"].hazard(tired) == m["null"].hazard(TruthState(1.3, 0.9, 0.5, 35.0, 5.0, 1.0, 2.0))  # streams
    assert m["null"].hazard(late) > m["null"].hazard(fresh)  # ... but time does
    assert m["neuromuscular"].hazard(TruthState(1.0, 0.0, 0.0, 15.0, 0.0, 0.0, 1.0)) > 50 * m["neuromuscular"].hazard(
        fresh
    )
    assert m["current"].hazard(tired) > 10 * m["current"].hazard(fresh)
    a, b = (make_truth("random", p, stretches=True, rng=np.random.default_rng(s)) for s in (1, 2))
    assert a.coef != b.coef  # per-runner coefficients
    with pytest.raises(ValueError, match="unknown truth model"):
        make_truth("oracle", p, stretches=True)


def test_shadow_mode_records_every_onset_and_keeps_the_run_before_it(hot_file: Path) -> None:
    scenario = load_scenario(str(hot_file))
    for i in range(3):
        real = scenario.simulate_one(i, seed=1)
        shadow = scenario.simulate_one(i, seed=1, truths=TRUTH_NAMES)
        assert shadow.truth.onsets == () and shadow.truth_onsets is not None
        assert set(shadow.truth_onsets) == set(TRUTH_NAMES)
        # the current truth model is the runner model's own hazard: the same first onset
        assert shadow.truth_onsets["current"] == real.truth.onset
        k = len(real.trace.t) if real.truth.onset is None else int(real.truth.onset - real.trace.t[0])
        assert np.array_equal(shadow.trace.speed[:k], real.trace.speed[:k])
        assert np.array_equal(shadow.trace.hr[:k], real.trace.hr[:k])


def test_scenarios_announce_their_plan() -> None:
    tempo = load_scenario("tempo").simulate_one(0, seed=0)
    assert tempo.plan is not None and tempo.plan.plan == "tempo" and tempo.plan.target_pace is not None
    assert load_scenario("intervals").athletes()[0].session_plan() is not None
    assert load_scenario("easy").simulate_one(0, seed=0).plan is None
    from simulators.publish import Run, plan_messages

    run = Run("s", "a", None, tempo.frames[:3], plan=tempo.plan)
    session = [m for m in plan_messages([run]) if m.topic.endswith("/session")]
    assert json.loads(session[0].payload)["plan"] == "tempo"
    assert "plan" not in json.loads(session[-1].payload)


def test_auc_and_quality_on_hand_made_runs() -> None:
    """Two cases at minute 40 with risk 0.6 and 0.3; two controls at 0.4 → AUC (1 + 1 + 0 + 0) / 4 = 0.5."""

    def run(onset_min: float | None, risk: float, base: float) -> TruthRun:
        onset = None if onset_min is None else 60.0 * onset_min
        return TruthRun("s", "a", 0.0, 3600.0, {"x": onset}, (), (risk,) * 60, (base,) * 60)

    runs = [run(40, 0.6, -2.0), run(40, 0.3, -2.0), run(None, 0.4, -2.0), run(None, 0.4, -2.0)]
    d = discrimination(runs, "x", b=200)
    assert d["auc"] == 0.5 and d["baseline_auc"] == 0.5 and d["pairs"] == 4
    lo, hi = d["auc_ci"]
    assert 0.0 <= lo <= 0.5 <= hi <= 1.0
    assert parse_truths(["all"]) == TRUTH_NAMES and parse_truths(["null,current"]) == ("current", "null")
    with pytest.raises(ValueError):
        parse_truths(["oracle"])


def test_evaluate_truth_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tiny = tmp_path / "tiny.toml"
    tiny.write_text(TINY)
    argv = ["evaluate", "--scenario", str(tiny), "--athletes", "2", "--jobs", "1", "--json"]
    assert main([*argv, "--truth", "null"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert isinstance(one, dict) and tuple(one) == JSON_KEYS and one["truth"] == "null"
    assert main([*argv, "--truth", "current", "--truth", "dehydration"]) == 0
    many = json.loads(capsys.readouterr().out)
    assert [r["truth"] for r in many] == ["current", "dehydration"] and all(tuple(r) == JSON_KEYS for r in many)
    assert main(["evaluate", "--scenario", str(tiny), "--athletes", "1", "--jobs", "1", "--truth", "all"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in TRUTH_NAMES)
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["evaluate", "--truth", "oracle"]))
    assert exc.value.code == 2 and "oracle" in capsys.readouterr().err


def test_negative_control_shows_no_skill_beyond_the_baseline(hot_file: Path) -> None:
    """Under the null truth (only profile and time matter) the risk, which reads the streams, must not claim
    skill: the baseline's AUC lies inside the risk AUC's bootstrap interval (small seed: loose, but a model
    that leaked the simulator's onsets into the risk would fail it)."""
    runs = truth_runs([str(hot_file)], 10, 3, ("null",), jobs=1)
    row = evaluate_truth(runs, "null", 1800.0, seed=3)
    assert row["extra"]["cramping"] >= 3 and row["auc"] is not None
    lo, hi = row["auc_ci"]
    assert lo <= row["baseline_auc"] <= hi, row
    assert row["auc"] < 0.9
