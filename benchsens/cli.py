"""Command line: ``benchsens problems | estimators | estimate``."""
from __future__ import annotations

import argparse
import sys

import numpy as np


def _cmd_problems(args):
    import benchsens as bs

    for name in bs.list_problems(tag=args.tag):
        print(f"{name:32s} {' '.join(bs.registry.PROBLEMS.tags(name))}")


def _cmd_estimators(args):
    import benchsens as bs

    for name in bs.list_estimators():
        cls = bs.registry.ESTIMATORS.factory(name)
        print(f"{name:24s} {'given-data' if getattr(cls, 'given_data', False) else 'design'}")


def _cmd_estimate(args):
    import benchsens as bs

    problem = bs.get_problem(args.problem)
    est = bs.estimate(problem, args.estimator, budget=args.budget, seed=args.seed)
    truth = problem.truth
    print(f"{problem.name} x {args.estimator}: {est.n_evals} evaluations, analysis {est.seconds:.3f} s")
    rows = [("input", "importance", "first", "total", "true S1", "true ST")]
    for j, name in enumerate(problem.space.names):
        fmt = lambda a: "-" if a is None else f"{a[j]:.4f}"  # noqa: E731
        rows.append((name, f"{est.importance[j]:.4f}", fmt(est.first), fmt(est.total),
                     fmt(truth.first if truth else None), fmt(truth.total if truth else None)))
    for row in rows:
        print("  ".join(f"{c:>10s}" for c in row))
    if truth is not None:
        scores = bs.score(est, truth)
        print("  ".join(f"{k}={v:.3f}" for k, v in scores.items() if isinstance(v, float) and np.isfinite(v)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="benchsens", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("problems", help="list registered problems",
                       description="List registered problems. Example: benchsens problems --tag analytic")
    p.add_argument("--tag", default=None, help="only problems with this tag")
    p.set_defaults(func=_cmd_problems)
    p = sub.add_parser("estimators", help="list registered estimators")
    p.set_defaults(func=_cmd_estimators)
    p = sub.add_parser("estimate", help="run one estimator on one problem",
                       description="Example: benchsens estimate ishigami sobol --budget 8192 --seed 0")
    p.add_argument("problem")
    p.add_argument("estimator")
    p.add_argument("--budget", type=int, default=4096)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_estimate)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (KeyError, ValueError, TypeError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"benchsens: error: {msg}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
