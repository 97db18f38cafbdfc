"""Runtime of every registered estimator's analysis at two sizes, and of our estimators
against their SALib/Optuna counterparts in the same run.

Every estimator analyses its own design (or an i.i.d. sample) of the d = 8 Sobol' G
function at budgets ``SIZES`` (raised to the estimator's minimum where the small one is
below it); only ``analyze`` is timed (planning and evaluation happen once, outside the
timer). An analysis slower than 2 s (Optuna's fANOVA) is timed in one round, others in 3.

Same-run ratios. Absolute seconds depend on the machine and its load, so what is tracked
(and what fails) is ``ours / theirs``: for each pair in ``PAIRS`` both analyses run on the
same problem, budget and options, alternately (ours, theirs, ours, ...) for ``ROUNDS``
rounds, timed in CPU seconds of this process (fairer than wall time on a shared machine);
the ratio of the medians goes into the benchmark's ``extra_info`` (saved with
``--benchmark-autosave``) and the test fails when it exceeds the pair's ``MAX_RATIO``.
Each limit is about twice the ratio measured when it was set (2026-11, 2 shared cores:
sobol/SALib 0.031, fanova/Optuna 0.031, mdi/Optuna 0.69; the mdi limit is 1.0, "not slower
than Optuna"), so it catches a real slowdown of ours, not the noise of a shared machine.

    python -m pytest tests/benchmarks --benchmark-enable                        # time all
    python -m pytest tests/benchmarks --benchmark-enable --benchmark-autosave   # save a run
    python -m pytest tests/benchmarks --benchmark-enable --benchmark-compare \\
        --benchmark-compare-fail=median:25%                                      # against the last saved run

Without ``--benchmark-enable`` (``python -m pytest tests/benchmarks``) every benchmark runs
once as a smoke test and the ratio limits are not applied.
"""
from __future__ import annotations

import time

import numpy as np
import pytest
from SALib.analyze import sobol as salib_sobol
from SALib.sample import sobol as salib_sample

import benchsens as bs
from benchsens._pipeline import gradient_cost

SIZES = (320, 1280)
ROUNDS = 3
PROBLEM = "sobol_g"  # d = 8


def _data(name: str, budget: int, options=None):
    """An estimator, its planned design (or an i.i.d. sample), outputs and gradient."""
    problem = bs.get_problem(PROBLEM)
    est = bs.get_estimator(name, **(options or {}))
    rng = np.random.default_rng(0)
    cost = gradient_cost(problem, est)
    grad_args = {} if cost is None else {"gradient": True, "gradient_cost": cost}
    budget = max(budget, est.min_budget(problem.space, **grad_args))  # the small size may be below it
    design = est.plan(problem.space, budget, rng, **grad_args)
    grad = problem.gradient(design.X) if cost is not None else None
    return est, design, problem.evaluate(design.X), grad


@pytest.mark.parametrize("budget", SIZES)
@pytest.mark.parametrize("name", bs.list_estimators())
def test_analysis_speed(benchmark, name, budget):
    est, design, y, grad = _data(name, budget)
    benchmark.group = f"analysis, budget {budget}"
    benchmark.extra_info.update(problem=PROBLEM, budget=budget, n=len(design))
    rounds = 1
    if not benchmark.disabled:  # warm-up; a slow analysis (Optuna's fANOVA) is timed once
        start = time.perf_counter()
        est.analyze(design, y, gradient=grad)
        rounds = 3 if time.perf_counter() - start < 2.0 else 1
    result = benchmark.pedantic(est.analyze, args=(design, y), kwargs={"gradient": grad},
                                rounds=rounds, iterations=1)
    assert result.importance.shape == (len(design.space),) and np.all(np.isfinite(result.importance))


# -- ours against SALib / Optuna in the same run ----------------------------------------------------
def _sobol_vs_salib(budget):
    """benchsens ``sobol`` and SALib's ``sobol.analyze`` on the same outputs (SALib's sample,
    permuted into our block layout inside our timed call), 100 bootstrap resamples each."""
    problem = bs.get_problem(PROBLEM)
    d = problem.d
    n = budget // (d + 2)
    salib_problem = {"num_vars": d, "names": problem.space.names, "bounds": [[0.0, 1.0]] * d}
    X = salib_sample.sample(salib_problem, n, calc_second_order=False, seed=1)
    Y = problem.evaluate(X)
    est = bs.get_estimator("sobol", n_bootstrap=100)
    info = est.plan(problem.space, budget, np.random.default_rng(1)).info  # our layout's record
    assert info["N"] == n
    order = [0, d + 1, *range(1, d + 1)]  # SALib rows A, AB_1..AB_d, B -> our blocks A, B, AB_i

    def ours():
        X_ours = X.reshape(n, d + 2, d)[:, order].transpose(1, 0, 2).reshape(-1, d)
        Y_ours = Y.reshape(n, d + 2)[:, order].T.ravel()
        design = bs.Design(problem.space, X_ours, X_ours, dict(info))
        return est.analyze(design, Y_ours).total

    def theirs():
        return salib_sobol.analyze(salib_problem, Y, calc_second_order=False, num_resamples=100,
                                   seed=1)["ST"]

    return ours, theirs


def _given_data_pair(ours_name, theirs_name, options):
    def make(budget):
        problem = bs.get_problem(PROBLEM)
        X = problem.space.sample(budget, np.random.default_rng(0))
        design, y = bs.Design.from_sample(problem.space, X), problem.evaluate(X)
        ours = bs.get_estimator(ours_name, **options)
        theirs = bs.get_estimator(theirs_name, **options)
        return (lambda: ours.analyze(design, y).importance), (lambda: theirs.analyze(design, y).importance)
    return make


#: name -> (builder of (ours, theirs) callables for a budget, budget, MAX_RATIO of ours/theirs).
PAIRS = {
    "sobol/SALib": (_sobol_vs_salib, 10 * 8192, 0.06),
    "fanova/Optuna": (_given_data_pair("fanova", "optuna.fanova", {"n_trees": 64, "max_depth": 64}), 400, 0.06),
    "mdi/Optuna": (_given_data_pair("mdi", "optuna.mdi", {"n_trees": 64, "max_depth": 64}), 1000, 1.0),
}


@pytest.mark.parametrize("pair", PAIRS)
def test_ratio_against_counterpart(benchmark, pair):
    build, budget, max_ratio = PAIRS[pair]
    ours, theirs = build(budget)
    seconds = {"ours": [], "theirs": []}

    def one_round():
        for side, func in (("ours", ours), ("theirs", theirs)):
            start = time.process_time()
            out = func()
            seconds[side].append(time.process_time() - start)
        return out

    benchmark.group = "ours vs counterpart (one round = both)"
    result = benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    assert np.all(np.isfinite(result))
    t_ours, t_theirs = np.median(seconds["ours"]), np.median(seconds["theirs"])
    ratio = t_ours / t_theirs
    benchmark.extra_info.update(pair=pair, budget=budget, ours_cpu_s=t_ours, theirs_cpu_s=t_theirs,
                                ratio=ratio, max_ratio=max_ratio)
    print(f"\n{pair}: ours {t_ours:.4f} s, theirs {t_theirs:.4f} s CPU (median of {len(seconds['ours'])}), "
          f"ratio {ratio:.3f} (limit {max_ratio})")
    if not benchmark.disabled:
        assert ratio <= max_ratio, (f"{pair}: ours/theirs = {ratio:.3f} CPU seconds ratio exceeds "
                                    f"{max_ratio} (ours {t_ours:.4f} s, theirs {t_theirs:.4f} s)")
