"""Measure the false-alarm rate and the power of ``benchsens check``'s rule on the ci suite.

One sweep runs the ci suite with 33 seeds (11 disjoint blocks of the suite's 3 seeds) and
degraded copies of a few estimators (``testplugin.degraded`` from ``tests/plugins``) on
seeds 3..32. Then, from the stored per-seed scores:

* false alarms: every pair of blocks (i < j: 55 comparisons, the 10 with i = 0 independent)
  plays baseline and an unchanged suite whose every estimator got a new version (new keys,
  new random streams), so every estimator x budget is judged. A regression anywhere is a
  false alarm of the whole run (also counted per estimator x budget group);
* power: each degraded estimator's block k = 1..10 (renamed to the base estimator) is
  compared with block 0 of the base estimator; the share of blocks that fail the check.

The same numbers for two looser variants (no minimum effect; alpha 0.05) show what each part
of the rule buys.

    python scripts/check_error_rates.py --store /tmp/errrate.sqlite     # sweep (resumes), then rates
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "plugins"))

import benchsens as bs  # noqa: E402
from benchsens import check  # noqa: E402
from benchsens.check import METRIC  # noqa: E402

N_BLOCKS, BLOCK = 11, 3
#: (base estimator, budget_fraction, bias) of the degraded copies.
DEGRADED = [("sobol", 0.5, 0.0), ("sobol", 1.0, 0.1), ("rank_s1", 0.5, 0.0), ("fanova", 1.0, 0.05),
            ("salib.morris", 0.5, 0.0)]


def spec() -> dict:
    from benchsens.harness import load_spec

    ci = load_spec("suite:ci").to_dict()
    ci["name"] = "ci-error-rates"
    ci["seeds"] = list(range(N_BLOCKS * BLOCK))
    ci["imports"] = ["benchsens_testplugin.register"]
    by_name = {e["name"]: e for e in ci["estimators"]}
    for base, fraction, bias in DEGRADED:
        entry = {k: v for k, v in by_name[base].items() if k != "options"}
        ci["estimators"].append({**entry, "name": "testplugin.degraded",
                                 "options": {"base": base, "budget_fraction": fraction, "bias": bias}})
    return ci


def _block(cells, k: int, suffix: str | None):
    """Seeds 3k..3k+2 renumbered 0..2 in baseline form; ``suffix`` marks a new version (new
    keys), as a changed estimator would have."""
    b = cells[(cells["seed"] >= BLOCK * k) & (cells["seed"] < BLOCK * (k + 1))].copy()
    b["seed"] -= BLOCK * k
    if suffix is not None:
        b["version"] = b["version"].astype(str) + suffix
        b["key"] = b["key"].astype(str) + suffix
    return check.baseline_frame(b, "ci")


def _verdicts(cmp) -> dict:
    return cmp.groups["verdict"].value_counts().to_dict()


def rates(cells, rule=None) -> dict:
    """False alarms and power from a sweep's cells (``bs.load_results(..., decode=False)``)."""
    rule = rule or {}
    plugin = cells["estimator"] == "testplugin.degraded"
    plain = cells[~plugin]
    base0 = _block(plain, 0, None)
    out = {"false_alarm": [], "false_improvement": [], "groups_judged": 0, "groups_flagged": 0,
           "false_alarm_block0": []}
    for i, j in itertools.combinations(range(N_BLOCKS), 2):
        cmp = check.compare(_block(plain, i, None), _block(plain, j, "-fresh"), **rule)
        v = _verdicts(cmp)
        out["false_alarm"].append(bool(v.get("regression", 0)))
        if i == 0:  # the 10 independent comparisons (disjoint current blocks)
            out["false_alarm_block0"].append(bool(v.get("regression", 0)))
        out["false_improvement"].append(bool(v.get("improvement", 0)))
        out["groups_judged"] += sum(v.get(x, 0) for x in ("regression", "improvement", "unchanged"))
        out["groups_flagged"] += v.get("regression", 0)
    options = cells.loc[plugin, "options"].map(json.loads)
    out["power"] = {}
    for base, fraction, bias in DEGRADED:
        mine = cells[plugin & options.map(lambda o: (o["base"], o["budget_fraction"], o["bias"]) ==
                                         (base, fraction, bias))].copy()
        mine["estimator"], mine["options"] = base, base0.loc[base0["estimator"] == base, "options"].iloc[0]
        ref = base0[base0["estimator"] == base]
        caught, by_rule, deltas, errors = [], [], [], []
        for k in range(1, N_BLOCKS):
            cmp = check.compare(ref, _block(mine, k, "-degraded"), **rule)
            v = _verdicts(cmp)
            caught.append(cmp.failed)
            by_rule.append(bool(v.get("regression", 0)))
            deltas.append(cmp.groups["mean"].tolist())
            errors.append(cmp.groups["err_mean"].tolist())
        out["power"][f"{base} budget x{fraction} bias {bias}"] = {
            "caught": float(np.mean(caught)), "by_the_rule": float(np.mean(by_rule)),
            "mean_delta_by_budget": np.nanmean(np.array(deltas, float), axis=0).round(3).tolist(),
            "error_ratio_by_budget": np.exp(np.array(errors, float).mean(axis=0)).round(2).tolist()}
    out["runs"] = len(out["false_alarm"])
    for key in ("false_alarm", "false_improvement", "false_alarm_block0"):
        out[key] = float(np.mean(out[key]))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    bs.run_sweep(spec(), store=args.store, workers=args.workers, progress="log", summary=False,
                 allow_imports=True)
    report(bs.load_results(args.store, decode=False))


def report(cells):
    for label, rule in (("the rule", {}),
                        ("Wilcoxon+Holm only (no minimum effect)", {"min_drop": 0.0, "min_error_ratio": 1.0}),
                        ("alpha 0.05", {"alpha": 0.05})):
        r = rates(cells, rule)
        print(f"{label}: false alarms in {r['false_alarm']:.3f} of {r['runs']} whole-suite comparisons "
              f"({r['false_alarm_block0']:.2f} of the 10 against block 0; {r['groups_flagged']} of "
              f"{r['groups_judged']} estimator x budget groups), false improvements "
              f"{r['false_improvement']:.3f}")
        for name, p in r["power"].items():
            print(f"  power {name}: fails the check in {p['caught']:.2f} of {N_BLOCKS - 1} fresh blocks "
                  f"({p['by_the_rule']:.2f} by the rule), mean delta {METRIC} by budget "
                  f"{p['mean_delta_by_budget']}, value-error ratio {p['error_ratio_by_budget']}")


if __name__ == "__main__":
    main()
