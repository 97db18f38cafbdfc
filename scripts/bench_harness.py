"""Harness benchmarks: overhead per cell, 2-worker throughput, wall time of a suite.

    python scripts/bench_harness.py                  # overhead + throughput
    python scripts/bench_harness.py --suite quick    # also the wall time of a shipped suite

Overhead: the same cells (one problem, one estimator, ~100 ms each, distinct seeds) run
(a) by calling ``bs.estimate`` in this process and (b) through ``bs.run_sweep`` with one
worker (child process, pickling, scoring, one SQLite commit per cell). Both use one BLAS
thread. The worker's one-time start (interpreter + imports) is reported apart.
Throughput: the same CPU-bound spec (cells 4x larger) on 1 and 2 workers, wall time
including the workers' start. Results depend on what else the
machine runs: the load average is printed with the numbers.
"""
from __future__ import annotations

import argparse
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"  # the harness pins its workers to one thread; so does the baseline

import tempfile
import time
from pathlib import Path

import benchsens as bs


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _spec(problem, estimator, budget, seeds):
    return {"name": "bench", "budgets": [budget], "seeds": seeds, "problems": [problem],
            "estimators": [estimator], "timeout": 600}


def _sweep(spec, workers, tmp, tag):
    start = time.perf_counter()
    df = bs.run_sweep(spec, store=Path(tmp) / f"{tag}.sqlite", workers=workers, progress=False, summary=False)
    wall = time.perf_counter() - start
    assert (df.status == "ok").all(), df.message.unique()
    return wall, df


def calibrate(problem, estimator, target=0.1):
    """The budget whose in-process cell time is closest to ``target`` seconds."""
    prob = bs.get_problem(problem)
    best = None
    for budget in (256, 512, 1024, 2048, 4096, 8192, 16384, 32768):
        bs.estimate(prob, estimator, budget, seed=0)
        start = time.perf_counter()
        for seed in range(3):
            bs.estimate(prob, estimator, budget, seed=seed)
        t = (time.perf_counter() - start) / 3
        if best is None or abs(t - target) < abs(best[1] - target):
            best = (budget, t)
        if t > target:
            break
    return best


def overhead(problem, estimator, budget, n_cells, tmp):
    prob = bs.get_problem(problem)
    start = time.perf_counter()
    for seed in range(n_cells):
        bs.estimate(prob, estimator, budget, seed=seed)
    direct = time.perf_counter() - start
    startup, _ = _sweep(_spec(problem, "rank_s1", 64, 1), 1, tmp, "startup")  # start + 1 trivial cell
    wall, df = _sweep(_spec(problem, estimator, budget, n_cells), 1, tmp, "overhead")
    in_worker = df.cell_seconds.sum()
    print(f"overhead: {n_cells} cells of {problem} x {estimator} at budget {budget} (load {_load()})")
    print(f"  direct bs.estimate          : {direct:7.2f} s  ({direct / n_cells * 1e3:6.1f} ms/cell)")
    print(f"  run_sweep, 1 worker         : {wall:7.2f} s  (includes one worker start)")
    print(f"  worker start + 1 tiny cell  : {startup:7.2f} s")
    per_cell = (wall - startup) / n_cells
    print(f"  per cell in the harness     : {per_cell * 1e3:6.1f} ms  -> overhead "
          f"{(per_cell * n_cells / direct - 1) * 100:+.1f} % vs direct (worker start excluded)")
    print(f"  cell time measured in worker: {in_worker / n_cells * 1e3:6.1f} ms/cell; "
          f"total incl. start {(wall / direct - 1) * 100:+.1f} %")


def throughput(problem, estimator, budget, n_cells, tmp):
    spec = _spec(problem, estimator, budget, n_cells)
    one, _ = _sweep(spec, 1, tmp, "w1")
    two, _ = _sweep(spec, 2, tmp, "w2")
    print(f"throughput: {n_cells} cells of {problem} x {estimator} at budget {budget} (load {_load()})")
    print(f"  1 worker {one:6.2f} s, 2 workers {two:6.2f} s -> speed-up {one / two:.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problem", default="ishigami")
    parser.add_argument("--estimator", default="hsic")
    parser.add_argument("--cells", type=int, default=60)
    parser.add_argument("--suite", action="append", default=[], help="also time this shipped suite (2 workers)")
    args = parser.parse_args()
    budget, t = calibrate(args.problem, args.estimator)
    print(f"calibrated: {args.estimator} on {args.problem} at budget {budget} takes {t * 1e3:.0f} ms in-process")
    with tempfile.TemporaryDirectory() as tmp:
        overhead(args.problem, args.estimator, budget, args.cells, tmp)
        # bigger cells, so that the one-time worker start does not dominate the comparison
        throughput(args.problem, args.estimator, 4 * budget, args.cells, tmp)
        for suite in args.suite:
            start = time.perf_counter()
            df = bs.run_sweep(f"suite:{suite}", store=Path(tmp) / f"{suite}.sqlite", workers=2,
                              progress=False, summary=False)
            print(f"suite {suite}: {len(df)} cells, {time.perf_counter() - start:.1f} s on 2 workers "
                  f"(load {_load()}); status {df.status.value_counts().to_dict()}")


if __name__ == "__main__":
    main()
