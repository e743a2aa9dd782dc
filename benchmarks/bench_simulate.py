"""How fast the runner model and the message plan are (no broker): ``python benchmarks/bench_simulate.py``."""

from __future__ import annotations

import time

from simulators.publish import Run, plan_messages
from simulators.scenarios import load_scenario


def main() -> None:
    for name in ("squad", "hot-marathon"):
        scenario = load_scenario(name)
        began = time.perf_counter()
        runs = scenario.simulate(8, seed=0)
        sim_s = time.perf_counter() - began
        hours = sum(r.trace.t.size for r in runs) / 3600
        published = [Run(scenario.squad, r.athlete, r.profile, r.frames) for r in runs]
        for mode in ("frame", "samples"):
            began = time.perf_counter()
            count = sum(1 for _ in plan_messages(published, mode=mode))  # type: ignore[arg-type]
            plan_s = time.perf_counter() - began
            print(
                f"{name:13s} {mode:7s} simulate {hours:5.1f} runner-h in {sim_s:5.2f} s "
                f"({hours / sim_s:5.1f} h/s); plan {count} messages in {plan_s:5.2f} s ({count / plan_s:7.0f}/s)"
            )


if __name__ == "__main__":
    main()
