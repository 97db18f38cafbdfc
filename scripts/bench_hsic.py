"""Time and peak memory of ``hsic`` (Nyström) at n = 10^4, d = 20, and rank agreement of the
Nyström approximation with the exact statistic at n = 2000.

Targets (issue 4): under 2 s and 500 MiB at n = 10^4, d = 20; Spearman >= 0.95 between the
approximate and exact importances at n = 2000. Peak memory is measured by tracemalloc
(numpy allocations are traced), in a fresh measurement after a warm-up call.

    python scripts/bench_hsic.py [--n 10000] [--d 20] [--n-exact 2000] [--seed 0]
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
from scipy.stats import spearmanr

import benchsens as bs


def sobol_g(d):
    a = ([0.0, 0.5, 1.0, 2.0, 4.5, 9.0] + [99.0] * d)[:d]
    return bs.get_problem("sobol_g", a=a)


def measure(est, design, y):
    """Wall time, CPU time and traced peak memory (MiB) of one analysis."""
    tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    result = est.analyze(design, y)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, wall, cpu, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**4)
    parser.add_argument("--d", type=int, default=20)
    parser.add_argument("--n-exact", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    problem = sobol_g(args.d)
    rng = np.random.default_rng(args.seed)
    X = problem.space.sample(args.n, rng)
    design, y = bs.Design.from_sample(problem.space, X), problem.evaluate(X)
    est = bs.get_estimator("hsic")
    est.analyze(design, y)  # warm-up (imports, caches)
    for name in ("hsic", "hsic.goal"):
        est = bs.get_estimator(name)
        result, wall, cpu, peak = measure(est, design, y)
        print(f"{name} n={args.n} d={args.d} ({result.extras['method']}, "
              f"{est.n_features} landmarks): wall {wall:.3f} s, cpu {cpu:.3f} s, peak {peak:.1f} MiB")

    X = problem.space.sample(args.n_exact, rng)
    design, y = bs.Design.from_sample(problem.space, X), problem.evaluate(X)
    truth = problem.truth.total
    for name in ("hsic", "hsic.goal"):
        exact, wall_e, _, peak_e = measure(bs.get_estimator(name), design, y)
        approx, wall_a, _, peak_a = measure(bs.get_estimator(name, exact_max_n=0), design, y)
        rho = spearmanr(exact.importance, approx.importance)[0]
        err = np.max(np.abs(exact.importance - approx.importance))
        print(f"{name} n={args.n_exact} d={args.d}: exact {wall_e:.2f} s / {peak_e:.0f} MiB, "
              f"nystrom {wall_a:.2f} s / {peak_a:.0f} MiB; Spearman(exact, nystrom) = {rho:.4f}, "
              f"max |diff| = {err:.2e}; Spearman vs ST: exact {spearmanr(exact.importance, truth)[0]:.3f}, "
              f"nystrom {spearmanr(approx.importance, truth)[0]:.3f}")


if __name__ == "__main__":
    main()
