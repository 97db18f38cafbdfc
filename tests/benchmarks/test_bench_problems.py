"""Runtime of ``Problem.evaluate`` on 10^6 points for every registered non-real problem.

Run with ``python -m pytest tests/benchmarks/test_bench_problems.py --benchmark-enable``.
The default run (``--benchmark-disable``) calls each problem once on 10^4 points as a
smoke test. The problem list is read at collection time, so every developer's problems
(built-in or plug-in) are included; the real tabulated surfaces (tag ``real``) are left out.
"""
import numpy as np
import pytest

import benchsens as bs
from conftest import PACKAGE_PROBLEMS

# the package's own and plug-in problems (not the harness tests' toys, whatever the order)
SYNTHETIC = sorted(set(PACKAGE_PROBLEMS) - set(bs.list_problems(tag="real")))
N_TIMED = 10**6
N_SMOKE = 10**4


@pytest.mark.parametrize("name", SYNTHETIC)
def test_evaluate_speed(benchmark, name):
    problem = bs.get_problem(name)
    n = N_SMOKE if benchmark.disabled else N_TIMED
    X = problem.space.sample(n, np.random.default_rng(0))
    benchmark.extra_info.update(n_points=n, d=problem.d)
    y = benchmark.pedantic(problem.evaluate, args=(X,), rounds=3, iterations=1)
    assert y.shape == (n,) and np.all(np.isfinite(y))
