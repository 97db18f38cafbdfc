"""The sweep engine: spec -> cells -> worker processes (or Dask) -> the SQLite store.

``bs.run_sweep(spec, store=..., workers=..., dask=...)`` checks the whole spec first (names,
parameters and options, budgets), records skipped combinations, skips cells the store already
holds, runs the rest under a hard per-cell timeout and writes each result from this process only.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from .cells import Cell, expand, run_cell
from .execute import CellRunner, run_dask, run_local
from .progress import Progress, summary_table
from .spec import Spec, SpecError, list_suites, load_spec, suite_path

__all__ = ["run_sweep", "plan_sweep", "load_spec", "list_suites", "suite_path", "Spec", "SpecError",
           "Cell", "expand", "run_cell", "CellRunner"]


def plan_sweep(spec, allow_imports: bool = False) -> tuple[Spec, list[Cell], list[tuple[Cell, str]]]:
    """Load, check and expand a spec without running a cell: ``(spec, cells, skipped)``.
    The spec's ``imports`` run code, so they are imported only when ``allow_imports``."""
    spec = load_spec(spec)
    cells, skipped = expand(spec, allow_imports)
    return spec, cells, skipped


def run_sweep(spec, store=None, workers: int | None = None, dask=None, timeout: float | None = None,
              retry_failed: bool = False, progress: bool | str | None = None, summary: bool = True,
              allow_imports: bool = False):
    """Run a sweep and return its cells as a DataFrame (see :func:`benchsens.load_results`).

    The whole spec is checked before any cell runs; cells the store already holds are not
    run again, so an interrupted sweep resumes where it stopped. Each cell runs in a worker
    process (or on Dask) under a hard timeout and is written to the store by this process
    only.

    Parameters
    ----------
    spec : str, path, dict or Spec
        A TOML file, a dict of the same keys, a :class:`Spec` or ``"suite:NAME"``.
    store : str or path, optional
        The SQLite file (created or resumed); ``None`` uses a temporary one.
    workers : int, optional
        Local worker processes (default ``os.cpu_count()``; more than the cores warns).
    dask : str, ``distributed.Client`` or cluster, optional
        Run the cells on Dask instead; a scheduler address that does not answer within
        ``execute.DASK_CONNECT_TIMEOUT`` (10 s) raises ConnectionError.
    timeout : float, optional
        Seconds per cell (default: the spec's).
    retry_failed : bool, default False
        Run cells stored as error/timeout again.
    progress : bool or "log", optional
        By default a bar on a terminal and log lines otherwise; ``"log"`` forces log
        lines, ``False`` is silent.
    summary : bool, default True
        Print the summary table at the end.
    allow_imports : bool, default False
        Let the spec's ``imports`` run (in this process and the workers); a spec with
        ``imports`` is refused without it.

    Returns
    -------
    pandas.DataFrame
        One row per cell of this sweep (run now or found in the store), columns as
        :func:`benchsens.load_results`. ``df.attrs["counts"]`` maps every status (ok,
        error, timeout, skipped) to its number of cells; ``df.attrs["n_failed"]`` is the
        number of error + timeout cells (the CLI exits 1 when it is not 0).

    Examples
    --------
    >>> import os, tempfile, benchsens as bs
    >>> spec = {"name": "demo", "problems": ["ishigami"], "estimators": ["rank_s1"],
    ...         "budgets": [64], "seeds": 1}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     df = bs.run_sweep(spec, store=os.path.join(tmp, "demo.sqlite"), workers=1,
    ...                       progress=False, summary=False)
    >>> print(df[["problem", "estimator", "budget", "seed", "status"]].to_string(index=False))
     problem estimator  budget  seed status
    ishigami   rank_s1      64     0     ok
    >>> df.attrs["counts"], df.attrs["n_failed"]
    ({'ok': 1, 'error': 0, 'timeout': 0, 'skipped': 0}, 0)
    """
    from ..store import STATUSES, Store, load_results

    spec, cells, skipped = plan_sweep(spec, allow_imports)
    timeout = spec.timeout if timeout is None else float(timeout)
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if dask is None and workers > (os.cpu_count() or 1):
        warnings.warn(f"workers={workers} is above the {os.cpu_count()} CPU cores of this machine: "
                      "the cells will compete for them (each worker is a process of ~200 MB)",
                      stacklevel=2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sweep.sqlite" if store is None else Path(store)
        by_key = {c.key: c for c in cells}
        with Store(path) as db:
            sweep_id = db.begin_sweep(spec.name, spec.to_dict(), [*by_key, *(c.key for c, _ in skipped)])
            finished = db.finished_keys(retry_failed)
            db.put([{**c.row(), "sweep": spec.name, "status": "skipped", "message": reason}
                    for c, reason in skipped if c.key not in finished])
            # largest budgets first: the long cells do not straggle at the end
            todo = sorted((c for c in cells if c.key not in finished), key=lambda c: -c.budget)

            if skipped and progress is not False:
                reasons = sorted({reason for _, reason in skipped})
                Progress._log(f"{spec.name}: {len(skipped)} cells skipped (stored as 'skipped'), "
                              f"e.g. {reasons[0]}" + (f" (+{len(reasons) - 1} other reasons)" if len(reasons) > 1 else ""))
            with Progress(len(todo), len(cells) - len(todo), mode=progress, name=spec.name) as bar:
                def on_result(row):
                    cell = by_key[row["key"]]
                    db.put([{**row, **cell.row(), "sweep": spec.name}])
                    bar.update(row, cell.label())

                if todo and dask is not None:
                    run_dask(todo, dask, timeout, on_result)
                elif todo:
                    run_local(todo, workers, timeout, on_result)
            db.end_sweep(sweep_id)
        df = load_results(path)
    keys = set(by_key) | {c.key for c, _ in skipped}
    df = df[df["key"].isin(keys)].reset_index(drop=True)
    counts = df["status"].value_counts()
    df.attrs["counts"] = {status: int(counts.get(status, 0)) for status in STATUSES}
    df.attrs["n_failed"] = df.attrs["counts"]["error"] + df.attrs["counts"]["timeout"]
    if summary:
        from rich.console import Console

        console = Console()
        console.width = max(console.width, 110)  # a log file or pipe gets 80 columns otherwise
        console.print(summary_table(df, title=f"{spec.name}: {len(df)} cells"))
    return df
