"""The per-athlete engine: runs every registered processor in dependency order once per tick."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields
from typing import Any, TypeVar

from processors._util import fround
from processors.fatigue import Fatigue
from processors.gait import Gait
from processors.gait_state import GaitState
from processors.indicators import Indicators
from processors.profile import Profile, SessionPlan
from processors.registry import Context, Processor, load_all, resolve
from processors.risk import Risk
from processors.window import Window

STATE_VERSION = 1

T = TypeVar("T")


def _f(x: Any) -> float | None:
    """A finite Python float or None."""
    obj: object = x  # the test on obj, not x: compiled, x narrowed to float would be unboxed and boxed anew
    if type(obj) is float:
        v: float = x
        return x if v - v == 0.0 else None  # v - v is NaN for NaN and ±inf
    if x is None or isinstance(x, bool):
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _baseline_gait(base: Gait, recent: Gait) -> tuple[float, float]:
    """The baseline cadence and stride scaled to the recent steady speed."""
    return fround(base.expected_cadence(recent.speed), 3), fround(2.0 * base.expected_step(recent.speed), 4)


class Engine:
    """Per-athlete, stateful runner of all registered processors.

    Call :meth:`tick` every 5 s of event time with the athlete's recent seconds on the 1 Hz grid. Consecutive
    windows overlap; cumulative indicators integrate only the grid seconds newer than the newest one this
    engine has already seen, so re-ticking the same window never double-counts. ``profile`` may be replaced
    between ticks (the next tick uses it). A window with a different ``session_start`` starts a new session
    (all state reset). Deterministic: the same sequence of windows and profiles gives the same indicators.

    >>> import numpy as np
    >>> eng = Engine(Profile(training_pace=330))
    >>> t = np.arange(0.0, 600.0)
    >>> ind = eng.tick(Window.from_arrays(t=t, hr=np.full(600, 140.0), speed=np.full(600, 1000 / 330),
    ...                                   cadence=np.full(600, 170.0), temp=np.full(600, 15.0)))
    >>> ind.hr, ind.pace, ind.cadence, ind.stride_m, ind.pace_over_training, ind.level
    (140.0, 330.0, 170.0, 2.139, 1.0, 'low')
    >>> Engine.from_state(Profile(), eng.state_dict()).state_dict() == eng.state_dict()
    True
    """

    def __init__(self, profile: Profile, plan: SessionPlan | None = None) -> None:
        self.profile = profile
        self.plan = plan if plan is not None else SessionPlan()  # today's plan; may be replaced like profile
        load_all()
        self._order = resolve()
        self._procs: dict[str, Processor] = {}
        self._reset()

    def _reset(self) -> None:
        reg = load_all()
        self._procs = {s: reg[s]() for s in self._order}
        #: (symbol, processor) in dependency order (compiled, ``proc.update(ctx)`` is a direct native call)
        self._steps: list[tuple[str, Processor]] = list(self._procs.items())
        self._last_t = -math.inf
        self._session_start: float | None = None
        self._ticks = 0
        #: what _indicators derived last tick from immutable inputs (frozen dataclasses), reused while the
        #: processors hand out the very same objects (most change when a 10-s bin completes)
        self._derived: dict[str, tuple[object, object, tuple[Any]]] = {}

    # ------------------------------------------------------------------------------------------------ ticking
    def tick(self, window: Window) -> Indicators:
        ctx = self._context(window)
        results = ctx.results
        for sym, proc in self._steps:
            proc.update(ctx)
            results[sym] = proc.get()
        return self._close(window, results)

    def _context(self, window: Window) -> Context:
        """A tick's start: a new session resets the engine; the context names the seconds not integrated yet."""
        if self._session_start is not None and window.session_start != self._session_start:
            self._reset()
        self._session_start = window.session_start
        n = window.t.shape[0]  # len(window), without its call
        # the array's own method: np.searchsorted's dispatch to it costs as much again (~0.8 µs)
        first_new = int(window.t.searchsorted(self._last_t, "right")) if n else 0
        return Context(window, self.profile, first_new, {}, self.plan)  # positional: no keywords to match

    def _close(self, window: Window, results: dict[str, Any]) -> Indicators:
        """A tick's end, once every processor ran: the newest second seen, and the indicators."""
        if window.t.shape[0]:
            self._last_t = max(self._last_t, window.now)  # now: float(t[-1]) (Window.__init__)
        self._ticks += 1
        return self._indicators(window, results)

    @staticmethod
    def tick_many(engines: Sequence[Engine], windows: Sequence[Window]) -> list[Indicators | Exception]:
        """``[e.tick(w) for e, w in zip(engines, windows)]``, the same indicators bit for bit, run processor by
        processor instead of athlete by athlete: each processor's update runs for every athlete before the next
        processor's. Each engine keeps its own processors and state, so only the order of independent calls
        changes; running one piece of code many times in a row keeps the CPU's caches and branch predictors warm
        (~25-30 % less time per athlete at 10-40 athletes a round; docs/performance.md).
        An engine may appear only once. An engine whose tick raises gets the exception in its place (as
        ``asyncio.gather(..., return_exceptions=True)``) and is left as :meth:`tick` would leave it; the others
        are not affected.

        >>> import numpy as np
        >>> t = np.arange(0.0, 300.0)
        >>> w = Window.from_arrays(t=t, hr=np.full(300, 140.0), speed=np.full(300, 3.0), cadence=np.full(300, 170.0))
        >>> one, many = Engine(Profile()), [Engine(Profile()), Engine(Profile())]
        >>> [i.hr for i in Engine.tick_many(many, [w, w])] == [one.tick(w).hr] * 2
        True
        """
        if len({id(e) for e in engines}) != len(engines):
            raise ValueError("an engine may tick only once per tick_many")
        ctxs = [eng._context(window) for eng, window in zip(engines, windows, strict=True)]
        errors: list[Exception | None] = [None] * len(engines)
        active = [(j, eng._steps, ctx) for j, (eng, ctx) in enumerate(zip(engines, ctxs, strict=True))]
        for k in range(len(engines[0]._steps) if engines else 0):
            failed = False
            for j, steps, ctx in active:
                sym, proc = steps[k]
                try:  # (free unless it raises)
                    proc.update(ctx)
                    ctx.results[sym] = proc.get()
                except Exception as exc:  # this engine's tick stops here, as tick() would raise
                    errors[j], failed = exc, True
            if failed:
                active = [a for a in active if errors[a[0]] is None]
        out: list[Indicators | Exception] = []
        for error, eng, window, ctx in zip(errors, engines, windows, ctxs, strict=True):
            if error is not None:
                out.append(error)
                continue
            try:
                out.append(eng._close(window, ctx.results))
            except Exception as exc:
                out.append(exc)
        return out

    def _indicators(self, window: Window, r: dict[str, Any]) -> Indicators:
        fatigue: Fatigue = r["fatigue"]
        risk: Risk = r["risk"]
        gait_state: GaitState = r["gait_state"]
        ind = Indicators(  # positional, in the order of its fields: ~2 µs less than by keyword (37 keywords are
            # matched one by one); tests/processors/test_engine_kept.py compares it with the keyword build
            window.now,  # t
            max(window.elapsed, 0.0),  # elapsed_s
            _f(r["distance_m"]),  # distance_m
            _f(r["hr"]),  # hr
            _f(r["pace"]),  # pace
            _f(r["cadence"]),  # cadence
            _f(r["temp"]),  # temp
            _f(r["stride_m"]),  # stride_m
            _f(fatigue.value),  # fatigue
            _f(r["pace_over_training"]),  # pace_over_training
            _f(r["decoupling_pct"]),  # decoupling_pct
            _f(r["trimp"]),  # trimp
            _f(r["sweat_loss_pct"]),  # sweat_loss_pct
            _f(r["monotony"]),  # monotony
            float(risk.risk),  # risk
            r["level"],  # level
            dict(risk.factors),  # factors
            "ok",  # signal (set by the pipeline)
            _f(r["cardiac_drift_bpm_h"]),  # cardiac_drift_bpm_h
            _f(r["heat_factor"]),  # heat_factor
            _f(r["faster_than_training_s"]),  # faster_than_training_s
            _f(r["duration_vs_longest"]),  # duration_vs_longest
            dict(fatigue.parts),  # fatigue_parts
            None if (zs := r["hr_zone_s"]) is None else list(zs),  # hr_zone_s: plain floats (hr_zones: sums of 1.0)
            bool(r["hr_unreliable"]),  # hr_unreliable
            bool(r["acute_cramp"]),  # acute_cramp
            _f(r["hr_pct_max"]),  # hr_pct_max
            r["hr_zone"],  # hr_zone
            _f(r["hr_max_bpm"]),  # hr_max_bpm
            gait_state.mode,  # gait_state
            fround(gait_state.seconds(window.now), 1),  # gait_state_s
            gait_state.steady,  # gait_steady
            r["red_flag"],  # red_flag
            _f(r["gait_uniformity"]),  # gait_uniformity
            _f(r["efficiency_factor"]),  # efficiency_factor
            _f(r["decoupling_friel_pct"]),  # decoupling_friel_pct
            _f(r["hr_recovery_bpm"]),  # hr_recovery_bpm
        )
        ind.values = self._values(window, r, ind, fatigue, risk)
        return ind

    def _values(
        self, window: Window, r: dict[str, Any], ind: Indicators, fatigue: Fatigue, risk: Risk
    ) -> dict[str, float | None]:
        """The raw values for the alert layer (``Indicators.values``; docs/science.md); those that are also
        indicators read from ``ind``."""
        base: Gait | None = r["gait_baseline"]
        recent: Gait | None = r["gait_recent"]
        base_cad = base_stride = None
        # what derives from immutable inputs, remade only when a processor hands out new ones (no closure a tick)
        if base is not None and recent is not None and r["cadence_decline_pct"] is not None:
            kept = self._kept("baseline", base, recent) or self._keep(
                "baseline", base, recent, _baseline_gait(base, recent)
            )
            base_cad, base_stride = kept[0]
        prof, plan = self.profile, self.plan
        ref = (self._kept("ref", plan, prof) or self._keep("ref", plan, prof, plan.reference_pace(prof)))[0]
        gait = self._kept("gait", fatigue, None) or self._keep("gait", fatigue, None, _f(fatigue.gait()))
        return {
            "elapsed_min": fround(max(window.elapsed, 0.0) / 60.0, 4),
            "speed_mps": _f(r["speed"]),
            "training_pace_s_per_km": _f(prof.training_pace),
            "training_speed_mps": _f(prof.training_speed),
            "pace_ratio_10min": _f(r["pace_ratio_10min"]),
            "pace_ratio_plan": _f(r["pace_ratio_plan"]),
            "reference_pace_s_per_km": _f(ref[0]) if ref is not None else None,
            "hr_bpm": ind.hr,
            "hr_max_bpm": ind.hr_max_bpm,
            "hrr_10min": _f(r["hrr_10min"]),
            "cadence_spm": ind.cadence,
            "baseline_cadence_spm": base_cad,
            "cadence_baseline": base_cad,
            "cadence_decline_pct": _f(r["cadence_decline_pct"]),
            "cadence_cv_ratio": _f(r["cadence_cv_ratio"]),
            "stride_m": ind.stride_m,
            "baseline_stride_m": base_stride,
            "stride_change_pct": _f(r["stride_change_pct"]),
            "step_m": _f(r["step_m"]),
            "temp_c": ind.temp,
            "heat_factor": ind.heat_factor,
            "sweat_loss_pct": ind.sweat_loss_pct,
            "decoupling_pct": ind.decoupling_pct,
            "cardiac_drift_bpm_h": ind.cardiac_drift_bpm_h,
            "monotony": ind.monotony,
            "fatigue_gait": gait[0],
            "duration_vs_longest": ind.duration_vs_longest,
            "risk_logit": _f(risk.logit),
            "risk_evidence": _f(risk.evidence),
        }

    def _kept(self, key: str, a: object, b: object) -> tuple[Any] | None:
        """``(value,)`` as :meth:`_keep` kept it for ``key``, while its inputs are the very objects ``a`` and ``b``
        (immutable) they were then; else None."""
        last = self._derived.get(key)
        return last[2] if last is not None and last[0] is a and last[1] is b else None

    def _keep(self, key: str, a: object, b: object, value: T) -> tuple[T]:
        """Keep ``value``, made from ``a`` and ``b``, for ``key``; returns ``(value,)`` (a tuple: never false)."""
        kept = (value,)
        self._derived[key] = (a, b, kept)
        return kept

    # ---------------------------------------------------------------------------------------- save / restore
    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (plain dicts, lists, floats, strings, None; no NaN or infinities)."""
        procs = {s: p.state_dict() for s, p in self._procs.items()}
        return {
            "version": STATE_VERSION,
            "last_t": None if not math.isfinite(self._last_t) else self._last_t,
            "session_start": self._session_start,
            "ticks": self._ticks,
            "processors": {s: st for s, st in procs.items() if st},
        }

    @classmethod
    def from_state(cls, profile: Profile, state: dict[str, Any]) -> Engine:
        """An engine that continues where the one that produced ``state`` stopped (unknown processors in the
        state are ignored; processors missing from it start fresh)."""
        eng = cls(profile)
        if int(state.get("version", STATE_VERSION)) != STATE_VERSION:
            return eng
        last_t = state.get("last_t")
        eng._last_t = -math.inf if last_t is None else float(last_t)
        ss = state.get("session_start")
        eng._session_start = None if ss is None else float(ss)
        eng._ticks = int(state.get("ticks", 0))
        for sym, st in dict(state.get("processors", {})).items():
            proc = eng._procs.get(sym)
            if proc is not None and isinstance(st, dict):
                proc.load_state(st)
        return eng


if tuple(f.name for f in fields(Context)) != ("window", "profile", "first_new", "results", "plan"):  # pragma: no cover
    raise ImportError("processors.registry.Context changed its fields: update Engine._context")
