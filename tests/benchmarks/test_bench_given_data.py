"""Runtime of the given-data analyses: fanova at n = 1000, d = 10 and hsic (Nyström) at
n = 10^4, d = 20.

Run with ``python -m pytest tests/benchmarks/test_bench_given_data.py --benchmark-enable``;
the default run (``--benchmark-disable``) analyses once as a smoke test. Same-run peer
comparisons: ``scripts/bench_fanova_vs_optuna.py`` and ``scripts/bench_hsic.py``.
"""
import numpy as np
import pytest

import benchsens as bs

G_A = [0.0, 1.0, 4.5, 9.0] + [99.0] * 6


def _sample(problem, n, seed=0):
    X = problem.space.sample(n, np.random.default_rng(seed))
    return bs.Design.from_sample(problem.space, X), problem.evaluate(X)


@pytest.mark.parametrize("pairwise", [False, True])
def test_fanova_speed(benchmark, pairwise):
    problem = bs.get_problem("sobol_g", a=G_A)
    design, y = _sample(problem, 1000)
    est = bs.get_estimator("fanova", pairwise=pairwise)
    benchmark.extra_info.update(n=1000, d=10, n_trees=est.n_trees, pairwise=pairwise)
    result = benchmark.pedantic(est.analyze, args=(design, y), rounds=3, iterations=1)
    assert list(np.argsort(-result.importance)[:3]) == [0, 1, 2]


def test_hsic_nystrom_speed(benchmark):
    a = [0.0, 0.5, 1.0, 2.0, 4.5, 9.0] + [99.0] * 14
    problem = bs.get_problem("sobol_g", a=a)
    design, y = _sample(problem, 10**4)
    est = bs.get_estimator("hsic")
    benchmark.extra_info.update(n=10**4, d=20, n_features=est.n_features)
    result = benchmark.pedantic(est.analyze, args=(design, y), rounds=3, iterations=1)
    assert result.extras["method"] == "nystrom"
    assert list(np.argsort(-result.importance)[:3]) == [0, 1, 2]
