"""Runtime of the sobol analysis (d = 20, N = 8192, 1000 bootstrap resamples).

Run with ``python -m pytest tests/benchmarks/test_bench_sobol.py --benchmark-enable``;
the default run (``--benchmark-disable``) analyses once with 100 resamples as a smoke test.
The comparison with SALib in the same run is ``scripts/bench_sobol_vs_salib.py``.
"""
import numpy as np
import pytest

import benchsens as bs

D, N = 20, 8192


@pytest.fixture(scope="module")
def design_and_outputs():
    a = [0, 0.5, 1, 2, 4.5, 9] + [99.0] * (D - 6)
    problem = bs.get_problem("sobol_g", a=a)
    design = bs.get_estimator("sobol").plan(problem.space, N * (D + 2), np.random.default_rng(0))
    return problem, design, problem.evaluate(design.X)


def test_sobol_analysis_speed(benchmark, design_and_outputs):
    problem, design, y = design_and_outputs
    resamples = 100 if benchmark.disabled else 1000
    est = bs.get_estimator("sobol", n_bootstrap=resamples)
    benchmark.extra_info.update(d=D, N=N, n_bootstrap=resamples)
    result = benchmark.pedantic(est.analyze, args=(design, y), rounds=5, iterations=1)
    assert result.extras["N"] == N
    np.testing.assert_allclose(result.total, problem.truth.total, atol=0.03)
