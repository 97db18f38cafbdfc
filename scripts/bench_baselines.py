"""Analysis seconds of each baseline adapter (salib.*, optuna.*, sklearn.*) on Ishigami and
a d=10 Sobol'-G at one budget, with bs.score's weighted Kendall tau of its importance vs the
true ST and its screening recall (ST >= 0.05).

    python scripts/bench_baselines.py [--budget 4000] [--seed 0] [--only NAME ...]

One line per (estimator, problem) is printed as soon as it is done. ``seconds`` is the
estimator's analysis time (``Estimate.seconds``: evaluation excluded; for the Optuna
adapters it includes building the study); ``n`` the evaluations used.
"""
from __future__ import annotations

import argparse

import numpy as np
import benchsens as bs

BASELINES = [
    "salib.sobol", "salib.morris", "salib.fast", "salib.rbd_fast", "salib.delta", "salib.pawn",
    "salib.dgsm", "sklearn.permutation", "optuna.mdi", "optuna.ped_anova", "optuna.fanova",
]
SOBOL_G_A = [0, 1, 4.5, 9, 99, 99, 99, 99, 99, 99]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None, help="estimator names (default: all)")
    args = parser.parse_args(argv)
    problems = [bs.get_problem("ishigami"), bs.get_problem("sobol_g", a=SOBOL_G_A)]
    print(f"{'estimator':20s} {'problem':9s} {'n':>5s} {'seconds':>8s} {'wtau_ST':>7s} {'recall':>6s}  importance")
    for name in args.only or BASELINES:
        for problem in problems:
            result = bs.estimate(problem, name, args.budget, seed=args.seed)
            scores = bs.score(result, problem.truth)
            print(f"{name:20s} {problem.name:9s} {result.n_evals:5d} {result.seconds:8.3f} "
                  f"{scores['weighted_tau']:7.3f} {scores['recall']:6.2f}  "
                  f"{np.array2string(result.importance, precision=3, max_line_width=200)}", flush=True)


if __name__ == "__main__":
    main()
