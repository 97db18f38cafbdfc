"""How far past its limit a runaway cell is stopped (the hard timeout), as a measurement,
not a test assert: wall-clock bounds depend on the machine's load.

Run with ``python -m pytest tests/benchmarks/test_bench_harness.py --benchmark-enable``;
``extra_info["overshoot_seconds"]`` is the time past the limit of the last round, measured
from when the cell was sent (the worker's start-up is not part of the limit).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))  # harness_toys, for this process and its workers

import harness_toys as toys  # noqa: E402
from benchsens.harness import CellRunner, plan_sweep  # noqa: E402

LIMIT = 0.5


def test_hard_timeout_overshoot(benchmark):
    _, cells, _ = plan_sweep(toys.toy_spec(budgets=[16], seeds=1, estimators=["toy_hang"]), allow_imports=True)
    runner = CellRunner()  # each round kills its worker and starts a new one (timed: the real cost)
    try:
        row = benchmark.pedantic(runner.run, args=(cells[0], LIMIT), rounds=3, iterations=1)
    finally:
        runner.close()
    assert row["status"] == "timeout" and row["cell_seconds"] >= LIMIT
    benchmark.extra_info.update(limit_seconds=LIMIT, overshoot_seconds=row["cell_seconds"] - LIMIT)
