"""Time benchsens's Sobol' analysis against SALib's on the same outputs, in one run.

SALib's own sample (``SALib.sample.sobol.sample``, scrambled Sobol', ``calc_second_order=False``)
is evaluated once on a d-dimensional Sobol' G function. SALib stores each base row as
``A, AB_1 .. AB_d, B`` (interleaved, ``d + 2`` rows per base point); benchsens stores blocks
``A, B, AB_1 .. AB_d``. The same outputs are permuted into our layout and handed to
``bs.get_estimator("sobol").analyze`` (the permutation is included in our time), while
SALib gets them as sampled. Both use Saltelli (2010) S1 and Jansen ST with the variance of
``A`` and ``B`` and outputs centred over the whole design, so the point estimates must agree
to round-off; the bootstrap half-widths (``z * sd`` of the resampled indices) use different
random resamples, so they must agree statistically (a few percent at 1000 resamples).

    python scripts/bench_sobol_vs_salib.py            # d = 20, N = 8192, 1000 resamples
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from SALib.analyze import sobol as salib_sobol
from SALib.sample import sobol as salib_sample

import benchsens as bs


def _best_time(func, repeats):
    """Best wall-clock and best CPU seconds over ``repeats`` calls, and the last result.
    CPU time is the fairer number on a machine shared with other jobs."""
    wall, cpu, out = np.inf, np.inf, None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = func()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=20)
    parser.add_argument("--N", type=int, default=8192)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs (each side)")
    args = parser.parse_args(argv)
    d, n, resamples = args.d, args.N, args.resamples

    a = np.concatenate([[0, 0.5, 1, 2, 4.5, 9], np.full(d - 6, 99.0)])[:d]
    problem = bs.get_problem("sobol_g", a=a.tolist())
    salib_problem = {"num_vars": d, "names": problem.space.names, "bounds": [[0.0, 1.0]] * d}
    X = salib_sample.sample(salib_problem, n, calc_second_order=False, seed=1)
    Y = problem.evaluate(X)

    est = bs.get_estimator("sobol", n_bootstrap=resamples)
    order = [0, d + 1, *range(1, d + 1)]  # SALib row roles -> our blocks A, B, AB_1..AB_d

    def ours():
        X_ours = X.reshape(n, d + 2, d)[:, order].transpose(1, 0, 2).reshape(-1, d)
        Y_ours = Y.reshape(n, d + 2)[:, order].T.ravel()
        design = bs.Design(problem.space, X_ours, X_ours, {"N": n, "second_order": False, "seed": 1})
        return est.analyze(design, Y_ours)

    def salib():
        return salib_sobol.analyze(salib_problem, Y, calc_second_order=False,
                                   num_resamples=resamples, seed=1)

    t_ours, cpu_ours, r = _best_time(ours, args.repeats)
    t_salib, cpu_salib, s = _best_time(salib, args.repeats)

    d_first = np.abs(r.first - s["S1"]).max()
    d_total = np.abs(r.total - s["ST"]).max()
    conf_ratio_first = r.extras["conf_first"] / s["S1_conf"]
    conf_ratio_total = r.extras["conf_total"] / s["ST_conf"]
    print(f"d={d} N={n} evaluations={len(Y)} resamples={resamples} (best of {args.repeats})")
    print(f"  benchsens sobol.analyze : {t_ours:8.3f} s wall {cpu_ours:8.3f} s CPU")
    print(f"  SALib sobol.analyze     : {t_salib:8.3f} s wall {cpu_salib:8.3f} s CPU")
    print(f"  speed-up                : {t_salib / t_ours:8.1f} x wall {cpu_salib / cpu_ours:6.1f} x CPU")
    print(f"  max |S1 ours - SALib| = {d_first:.2e}, max |ST ours - SALib| = {d_total:.2e}")
    print(f"  bootstrap half-width ratio ours/SALib: S1 {conf_ratio_first.min():.3f}..{conf_ratio_first.max():.3f}, "
          f"ST {conf_ratio_total.min():.3f}..{conf_ratio_total.max():.3f}")
    print(f"  max |ST - truth|: ours {np.abs(r.total - problem.truth.total).max():.4f}")
    if d_first > 1e-10 or d_total > 1e-10:
        raise SystemExit("point estimates differ from SALib's")
    return t_salib / t_ours


if __name__ == "__main__":
    main()
