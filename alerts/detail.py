"""The coach's detail line: risk, level and every contributing factor with its value, largest first."""

from __future__ import annotations

from collections.abc import Mapping

from alerts.inputs import baseline_cadence, contributions, finite, fmt_pace, num, training_pace, value_of
from processors.indicators import Indicators
from processors.profile import Profile


def _describe(name: str, contribution: float, ind: Indicators, profile: Profile) -> str:
    """One factor in the coach's words, with its value."""
    if name == "pace_over_training":
        # the factor rests on the 10-min mean pace against today's reference pace (target → race → training)
        # when the processors give it, else on the 10-min pace against training pace, else on the current pace
        ref = finite(ind.values.get("reference_pace_s_per_km"))
        own = finite(profile.training_pace)
        planned = ref is not None and (own is None or abs(ref - own) > 0.5)
        ratio10 = finite(ind.values.get("pace_ratio_plan" if planned else "pace_ratio_10min"))
        if ratio10 is None:
            ratio10 = finite(ind.values.get("pace_ratio_10min"))
        ratio = ratio10 if ratio10 is not None and ratio10 > 0 else value_of(ind, "pace_over_training")
        word = "today's plan" if planned else "training"
        if ratio is None:
            return f"pace over {word}"
        pct = (ratio - 1.0) * 100.0
        head = f"pace {num(abs(pct))} % {'over' if pct >= 0 else 'under'} {word}"
        train = training_pace(ind, profile)
        pace, over = value_of(ind, "pace"), "now"
        if ratio10 is not None and ratio10 > 0 and train is not None:
            pace, over = train / ratio10, "10-min mean"  # not the pace "now" the runner's message may give
        if pace is not None and train is not None:
            return f"{head} ({over} {fmt_pace(pace)} vs {fmt_pace(train)}/km)"
        return head
    if name == "intensity":
        hrr = finite(ind.values.get("hrr_10min"))
        return f"HR at {num(hrr * 100.0)} % of reserve" if hrr is not None else "intensity"
    if name == "duration":
        text = f"{num(max(0.0, ind.elapsed_s) / 60.0)} min"
        share = value_of(ind, "duration_vs_longest")
        if share is not None:
            text += f" ({num(share * 100.0)} % of longest run)"
        return text
    if name == "heat":
        temp = value_of(ind, "temp")
        if temp is not None:
            return f"{num(temp)} °C"
        return "heat"
    if name == "sweat_loss":
        sweat = value_of(ind, "sweat_loss_pct", "sweat_loss")
        return f"sweat loss {num(sweat, 1)} %" if sweat is not None else "sweat loss"
    if name == "fatigue":
        return _describe_fatigue(ind)
    if name == "decoupling":
        dec = value_of(ind, "decoupling_pct", "decoupling")
        return f"decoupling {num(dec, 1)} %" if dec is not None else "decoupling"
    if name == "cardiac":  # one cardiac factor: the larger of drift and decoupling (issue 9.1)
        drift = value_of(ind, "cardiac_drift_bpm_h")
        dec = value_of(ind, "decoupling_pct")
        bits = [f"cardiac drift {num(drift)} bpm/h"] if drift is not None else []
        bits += [f"decoupling {num(dec, 1)} %"] if dec is not None else []
        return ", ".join(bits) if bits else "cardiac drift"
    if name == "cardiac_drift":
        drift = value_of(ind, "cardiac_drift_bpm_h", "cardiac_drift")
        return f"cardiac drift {num(drift)} bpm/h" if drift is not None else "cardiac drift"
    if name in ("monotony", "gait_uniformity"):
        mono = value_of(ind, "monotony")
        return f"gait uniformity {num(mono, 2)}" if mono is not None else "gait uniformity"
    if name == "acute_cramp":
        return "acute cramp signature"
    if name == "cramp_history":
        return "cramp history"
    if name == "recent_injury":
        return "injury in the last 12 months"
    if name == "sex":
        return profile.sex if profile.sex is not None else "sex"
    if name == "age":
        return f"age {num(profile.age_years)}"
    return f"{name} +{num(contribution, 2)}"


def _describe_fatigue(ind: Indicators) -> str:
    """Gait fatigue (the factor's input) and what shows it: cadence decline, irregular rhythm, the stride."""
    fatigue = finite(ind.values.get("fatigue_gait"))
    if fatigue is None:
        fatigue = value_of(ind, "fatigue")
    text = f"fatigue {num(fatigue, 2)}" if fatigue is not None else "fatigue"
    bits: list[str] = []
    decline = finite(ind.values.get("cadence_decline_pct"))
    cadence = value_of(ind, "cadence")
    base = baseline_cadence(ind)
    if decline is not None and decline > 0:
        bit = f"cadence {num(decline, 1)} % below baseline"
        if base is not None:  # the decline is over the last minutes, not this second's cadence
            bit += f" ({num(base * (1.0 - decline / 100.0))} vs {num(base)}/min)"
        bits.append(bit)
    elif cadence is not None:
        bits.append(f"cadence {num(cadence)}/min")
    cv_ratio = finite(ind.values.get("cadence_cv_ratio"))
    if cv_ratio is not None and cv_ratio >= 1.1:
        bits.append(f"step rhythm {num(cv_ratio, 1)}x less regular")
    if decline is None and cv_ratio is None:
        parts: list[tuple[str, float]] = []
        for part, raw in ind.fatigue_parts.items():
            v = finite(raw)
            if v is not None and v > 0:
                parts.append((str(part), v))
        parts = sorted(parts, key=lambda kv: (-kv[1], kv[0]))[:3]
        if parts:
            text += " (" + ", ".join(f"{k} {num(v, 2)}" for k, v in parts) + ")"
    stride = value_of(ind, "stride_m")
    if stride is not None:
        change = finite(ind.values.get("stride_change_pct"))
        signed = ""
        if change is not None and abs(change) >= 0.5:
            signed = f" ({'+' if change > 0 else '-'}{num(abs(change))} %)"
        bits.append(f"stride {num(stride, 2)} m{signed}")
    return ", ".join([text, *bits])


def detail_for(ind: Indicators, profile: Profile, factors: Mapping[str, float] | None = None) -> str:
    """The coach's line: risk, level and every contributing factor with its value, largest first.

    >>> ind = Indicators(t=0.0, elapsed_s=2880.0, pace=287.0, temp=31.0, sweat_loss_pct=1.9, risk=0.62,
    ...                  level="high", pace_over_training=1.08,
    ...                  factors={"pace_over_training": 0.2, "heat": 0.1, "sweat_loss": 0.08,
    ...                           "duration": 0.05})
    >>> detail_for(ind, Profile(training_pace=310))
    'risk 0.62 (high): pace 8 % over training (now 4:47 vs 5:10/km), 31 °C, sweat loss 1.9 %, 48 min'
    """
    risk = finite(ind.risk)
    head = f"risk {num(risk if risk is not None else 0.0, 2)} ({ind.level})"
    factors = contributions(ind) if factors is None else factors  # the caller's contributions(ind), if it has them
    items = sorted(((n, c) for n, c in factors.items() if c > 0), key=lambda nc: (-nc[1], nc[0]))
    if ind.acute_cramp and "acute_cramp" not in dict(items):
        items.insert(0, ("acute_cramp", 0.0))
    if not items:
        return f"{head}: no single factor stands out"
    return f"{head}: " + ", ".join(_describe(n, c, ind, profile) for n, c in items)
