"""Command line: ``benchsens problems | estimators | estimate | run | status | export``.

Exit status: 0 done; 1 ``run`` finished but some cell failed or timed out (the summary is
printed first); 2 a user error, reported as one line ``benchsens: error: ...`` (``--debug``
adds the traceback); 130 interrupted. A bug in benchsens or a plug-in keeps its traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings

import numpy as np

#: Exceptions whose message is written for the user, so the CLI prints it as one line: bad
#: values (ValueError: SpecError, BudgetError and StoreError among them), files and
#: connections (OSError), a missing optional dependency (ImportError, with its install hint;
#: not one of benchsens' own modules), a design too large for memory (MemoryError) and
#: :class:`UserError`. Anything else is a bug.
USER_ERRORS = (ValueError, OSError, ImportError, MemoryError)


class UserError(Exception):
    """A mistake on the command line that the CLI itself detects (e.g. an unknown name)."""


def _is_user_error(exc: BaseException) -> bool:
    if isinstance(exc, ImportError) and (exc.name or "").split(".")[0] == "benchsens":
        return False  # a module of the package itself is missing or broken
    return isinstance(exc, (UserError, *USER_ERRORS))


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors in the CLI's format (exit status 2)."""

    def error(self, message):
        self.exit(2, f"benchsens: error: {message} (see '{self.prog} --help')\n")


def _positive(kind):
    """An argparse type: a positive ``kind`` (int or float), the bad value named."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be a positive {'integer' if kind is int else 'number'}, got {text!r}")
        return value
    return parse


def _lookup(registry, name: str) -> str:
    """A registered name, or a UserError with the registry's suggestion."""
    try:
        return registry.resolve(name)
    except KeyError as exc:
        raise UserError(exc.args[0]) from None


def _cmd_problems(args):
    import benchsens as bs

    names = bs.list_problems()
    if args.tag is not None:
        known = sorted({t for n in names for t in bs.registry.PROBLEMS.tags(n)})
        if args.tag not in known:
            raise UserError(f"unknown tag {args.tag!r}; known tags: {', '.join(known)}")
    for name in bs.list_problems(tag=args.tag):
        print(f"{name:32s} {' '.join(bs.registry.PROBLEMS.tags(name))}")


def _cmd_estimators(args):
    import benchsens as bs

    for name in bs.list_estimators():
        meta = bs.registry.ESTIMATORS.metadata(name)  # declared: no estimator module imported
        print(f"{name:24s} {'given-data' if meta['given_data'] else 'design'}")


def _cmd_estimate(args):
    import benchsens as bs

    from ._pipeline import check_budget, check_seed, gradient_cost, run

    problem = bs.get_problem(_lookup(bs.registry.PROBLEMS, args.problem))
    estimator = bs.get_estimator(_lookup(bs.registry.ESTIMATORS, args.estimator))
    seed = check_seed(args.seed)
    budget = check_budget(args.budget, problem.d, args.max_budget)

    def announce(design):  # before any evaluation: some analyses take minutes
        cost = gradient_cost(problem, estimator)
        grads = f" and {len(design)} gradients ({cost:g} evaluations each)" if cost is not None else ""
        print(f"{problem.name} x {estimator.name}: budget {budget}, seed {seed}: evaluating "
              f"{len(design)} points (d={problem.d}){grads}, then the analysis ...", file=sys.stderr, flush=True)

    est = run(problem, estimator, budget, seed, on_design=announce).estimate
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


def _cmd_run(args):
    from .harness import plan_sweep, run_sweep
    from .store import check_store

    if (args.spec is None) == (args.suite is None):
        raise UserError("give a spec file or --suite NAME (one of them, not both)")
    spec = args.spec if args.spec is not None else f"suite:{args.suite}"
    if args.store is not None:  # refuse a bad store before the spec is even read
        check_store(args.store, write=True)
    if args.dry_run:
        spec, cells, skipped = plan_sweep(spec, allow_imports=args.allow_imports)
        print(f"{spec.name}: {len(cells)} cells to run, {len(skipped)} skipped")
        for cell, reason in skipped[:20]:
            print(f"  skipped {cell.label()}: {reason}")
        return 0
    if args.store is None:
        raise UserError("--store PATH is required (the SQLite file that keeps the results)")
    df = run_sweep(spec, store=args.store, workers=args.workers, dask=args.dask, timeout=args.timeout,
                   retry_failed=args.retry_failed, progress="log" if args.no_progress else None,
                   allow_imports=args.allow_imports)
    failed = df.attrs["n_failed"]
    if failed:
        print(f"benchsens: {failed} of {len(df)} cells failed or timed out (their messages are stored: "
              f"benchsens export {args.store} --out cells.csv); exit status 1", file=sys.stderr)
        return 1
    return 0


def _cmd_status(args):
    from .store import STATUSES, _connect_ro

    db = _connect_ro(args.store)
    try:
        counts = dict(db.execute("SELECT status, COUNT(*) FROM cells GROUP BY status").fetchall())
        print(f"{args.store}: {sum(counts.values())} cells stored: "
              + ", ".join(f"{s} {counts.get(s, 0)}" for s in STATUSES))
        sweeps = db.execute(
            "SELECT s.id, s.name, s.started, s.finished, COUNT(p.key), "
            "SUM(c.key IS NOT NULL), SUM(c.status IN ('error', 'timeout')) "
            "FROM sweeps s JOIN planned p ON p.sweep_id = s.id LEFT JOIN cells c ON c.key = p.key "
            "GROUP BY s.id ORDER BY s.id").fetchall()
        for sid, name, started, finished, planned, stored, failed in sweeps:
            state = f"finished {finished}" if finished else "interrupted or running"
            print(f"  run {sid} of {name!r} (started {started}, {state}): {planned} cells planned, "
                  f"{stored} stored, {planned - stored} remaining, {failed} error/timeout")
        rows = db.execute("SELECT estimator, status, COUNT(*) FROM cells GROUP BY estimator, status "
                          "ORDER BY estimator").fetchall()
        # a changed function or estimator makes new cells; the old rows stay, told apart here
        identities = db.execute(
            "SELECT 'problem', problem, params, 'function fingerprints', GROUP_CONCAT(DISTINCT problem_fingerprint) "
            "FROM cells GROUP BY problem, params HAVING COUNT(DISTINCT problem_fingerprint) > 1 UNION ALL "
            "SELECT 'estimator', estimator, options, 'versions', GROUP_CONCAT(DISTINCT version) "
            "FROM cells GROUP BY estimator, options HAVING COUNT(DISTINCT version) > 1").fetchall()
    finally:
        db.close()
    by_est: dict[str, dict] = {}
    for est, status, n in rows:
        by_est.setdefault(est, {})[status] = n
    if by_est:
        print(f"  {'estimator':24s} " + " ".join(f"{s:>8s}" for s in STATUSES))
        for est, c in by_est.items():
            print(f"  {str(est):24s} " + " ".join(f"{c.get(s, 0):8d}" for s in STATUSES))
    if identities:
        print("  rows of several identities (columns problem_fingerprint and version tell them apart):")
        for kind, name, params, what, values in identities:
            values = values.split(",")
            print(f"    {kind} {name} {params}: {len(values)} {what} ({', '.join(v[:12] for v in values)})")


def _cmd_export(args):
    from .store import export

    out = export(args.store, args.out, args.format, force=args.force)
    print(f"wrote {out}")


def _cmd_check(args):
    from .check import run_check

    status = run_check(suite=args.suite, baseline=args.baseline, update=args.update,
                       estimators=args.estimator, format=args.format, store=args.store,
                       workers=args.workers, allow_imports=args.allow_imports)
    if status:
        raise SystemExit(status)


_CHECK_EXAMPLES = """examples:
  benchsens check                                    # the ci suite against results/ci-baseline.csv
  benchsens check --format markdown > comment.md     # a pull-request comment
  benchsens check --update                           # record the current scores as the baseline
  benchsens check --estimator mylib.sobol --baseline theirs.csv   # a plug-in's own baseline

Exit status: 0 passed, 1 a regression (or a cell that failed, or a baseline row not run),
2 a bad baseline or option. The rule is in the module docstring of benchsens.check.
"""


def _add_check_command(sub):
    p = sub.add_parser("check", help="run a suite and compare it with a baseline (CI regression check)",
                       description="Run a suite into a temporary store and compare every problem x "
                                   "estimator x budget with a baseline CSV: identical cells, and a "
                                   "paired test over seeds for estimators that changed.",
                       epilog=_CHECK_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", default="ci", help="shipped suite name or a TOML spec file (default: ci)")
    p.add_argument("--baseline", default="results/ci-baseline.csv", help="baseline CSV (default: %(default)s)")
    p.add_argument("--update", action="store_true", help="rewrite the baseline with this run's cells")
    p.add_argument("--estimator", nargs="+", metavar="NAME", help="only these estimators (added when the suite lacks them)")
    p.add_argument("--format", choices=("text", "markdown"), default="text")
    p.add_argument("--store", help="keep the run's cells in this SQLite store (default: a temporary one)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    p.add_argument("--allow-imports", action="store_true",
                   help="let a spec file's 'imports' run (they execute code)")
    p.set_defaults(func=_cmd_check)


def _cmd_report(args):
    from .reports import build_report

    index = build_report(args.store, args.out, figure_formats=args.figure_formats)
    print(f"wrote {index}")


def _add_report_command(sub):
    p = sub.add_parser("report", help="tables, figures and a web page from a store",
                       description="Build the comparison report of a store (or of its CSV/Parquet "
                                   "export): tables in Markdown, LaTeX and CSV, figures, index.html "
                                   "and provenance.json. Reads only the store.",
                       epilog="examples:\n  benchsens report quick.sqlite --out quick-report\n"
                              "  benchsens report results/core-v1.csv.gz --out reports/core-v1 "
                              "--figure-formats png", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("store", help="SQLite store, or a .csv/.csv.gz/.parquet export of one")
    p.add_argument("--out", required=True, help="output directory (created; files in it are replaced)")
    p.add_argument("--figure-formats", nargs="+", choices=("png", "pdf", "svg"), default=["png", "pdf"],
                   help="figure files to write (default: png pdf)")
    p.set_defaults(func=_cmd_report)


_RUN_EXAMPLES = """examples:
  benchsens run --suite quick --store quick.sqlite
  benchsens run examples/sweep.toml --store sweep.sqlite --workers 2 --timeout 120
  benchsens run --suite core-v1 --store core.sqlite --dask tcp://scheduler:8786
  benchsens run my.toml --dry-run                    # check the spec, count the cells

A killed or interrupted sweep resumes where it stopped when run again with the same store:
stored cells are skipped; cells stored as error/timeout run again only with --retry-failed.
Exit status 1 when a cell failed or timed out (the summary is printed first), 2 for a bad
spec, store or option. The store must be a benchsens store or a new file: anything else
(another application's database, a truncated store, a directory) is refused unchanged.
"""


def _add_harness_commands(sub):
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("run", help="run a sweep (spec file or shipped suite) into a SQLite store",
                       description="Run a sweep: every problem x estimator x budget x seed x noise x "
                                   "regime cell of a TOML spec, under a hard per-cell timeout.",
                       epilog=_RUN_EXAMPLES, formatter_class=raw)
    p.add_argument("spec", nargs="?", help="TOML sweep spec (see examples/sweep.toml)")
    p.add_argument("--suite", help="a shipped suite instead of a file: quick, ci, core-v1")
    p.add_argument("--store", help="SQLite result file (created, or resumed when it exists)")
    p.add_argument("--workers", type=_positive(int), default=None, help="local worker processes (default: all cores)")
    p.add_argument("--dask", metavar="ADDRESS", help="run on a Dask distributed scheduler instead")
    p.add_argument("--timeout", type=_positive(float), default=None,
                   help="hard limit per cell in seconds (default: the spec's)")
    p.add_argument("--retry-failed", action="store_true", help="run cells stored as error/timeout again")
    p.add_argument("--no-progress", action="store_true", help="plain log lines instead of a progress bar")
    p.add_argument("--dry-run", action="store_true", help="check the spec and count its cells; run nothing")
    p.add_argument("--allow-imports", action="store_true",
                   help="import the modules the spec's 'imports' names: RUNS THEIR CODE")
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("status", help="cells of a store by status, and what remains",
                       description="Show how many cells a store holds by status and what each "
                                   "recorded sweep still has to run.",
                       epilog="example:\n  benchsens status quick.sqlite", formatter_class=raw)
    p.add_argument("store")
    p.set_defaults(func=_cmd_status)
    p = sub.add_parser("export", help="write a store as CSV or Parquet",
                       description="Write every cell of a store as one table (arrays as JSON text, "
                                   "one column per score).",
                       epilog="examples:\n  benchsens export quick.sqlite --format csv --out quick.csv\n"
                              "  benchsens export quick.sqlite --out quick.parquet", formatter_class=raw)
    p.add_argument("store")
    p.add_argument("--format", choices=("csv", "parquet"), default=None, help="default: from --out's suffix")
    p.add_argument("--out", required=True, help="output file (written whole or not at all)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing --out file (never a SQLite file or the store itself)")
    p.set_defaults(func=_cmd_export)


def build_parser() -> argparse.ArgumentParser:
    from ._pipeline import MAX_BUDGET

    parser = _Parser(prog="benchsens", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    p.add_argument("--budget", type=int, default=4096, help="evaluations (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="a non-negative integer (default: %(default)s)")
    p.add_argument("--max-budget", type=_positive(int), default=MAX_BUDGET,
                   help="refuse budgets above this (default: %(default)s; a design needs budget x d x 16 bytes)")
    p.set_defaults(func=_cmd_estimate)
    _add_harness_commands(sub)
    _add_check_command(sub)
    _add_report_command(sub)
    for p in (parser, *sub.choices.values()):  # before or after the subcommand
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the traceback of a user error too")
    return parser


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, MemoryError):
        return f"out of memory: {exc}" if str(exc) else "out of memory"
    lines = str(exc).splitlines()
    if len(lines) == 2 and lines[1].startswith("  - "):  # a list of one problem: one line
        return f"{lines[0]} {lines[1][4:]}"
    return str(exc) or type(exc).__name__


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line each (``benchsens: warning: ...``), not a source excerpt."""
    kind = "" if category is UserWarning else f"{category.__name__}: "
    print(f"benchsens: warning: {kind}{message}", file=sys.stderr if file is None else file)


def main(argv=None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            status = args.func(args) or 0
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except KeyboardInterrupt:
        resume = "; finished cells are stored, run again to resume" if args.command == "run" else ""
        print(f"benchsens: interrupted{resume}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. benchsens status STORE | head: the reader wanted no more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if _is_user_error(exc):
            if getattr(args, "debug", False):
                traceback.print_exc()
            print(f"benchsens: error: {_message(exc)}", file=sys.stderr)
            return 2
        exc.add_note("benchsens: this is a bug (in benchsens or a plug-in), not a usage error; "
                     "please report it with this traceback")
        raise


if __name__ == "__main__":
    sys.exit(main())
