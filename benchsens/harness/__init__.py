"""The sweep engine: spec -> cells -> worker processes (or Dask) -> the SQLite store.

``bs.run_sweep(spec, store=..., workers=..., dask=...)`` checks the whole spec first (names,
parameters, budgets), records skipped combinations, skips cells the store already holds,
runs the rest under a hard per-cell timeout and writes each result from this process only.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .cells import Cell, expand, run_cell
from .execute import CellRunner, run_dask, run_local
from .progress import Progress, summary_table
from .spec import Spec, SpecError, list_suites, load_spec, suite_path

__all__ = ["run_sweep", "plan_sweep", "load_spec", "list_suites", "suite_path", "Spec", "SpecError",
           "Cell", "expand", "run_cell", "CellRunner"]


def plan_sweep(spec) -> tuple[Spec, list[Cell], list[tuple[Cell, str]]]:
    """Load and expand a spec without running anything: ``(spec, cells, skipped)``."""
    spec = load_spec(spec)
    cells, skipped = expand(spec)
    return spec, cells, skipped


def run_sweep(spec, store=None, workers: int | None = None, dask=None, timeout: float | None = None,
              retry_failed: bool = False, progress: bool | str | None = None, summary: bool = True):
    """Run a sweep and return its cells as a DataFrame (see :func:`benchsens.load_results`).

    ``spec``: a TOML path, a dict, a :class:`Spec` or ``"suite:NAME"``. ``store``: the SQLite
    file (created or resumed; ``None`` = a temporary one). ``workers``: local processes
    (default ``os.cpu_count()``); ``dask``: a scheduler address, ``distributed.Client`` or
    cluster instead. ``timeout``: seconds per cell (default: the spec's). ``retry_failed``
    runs cells stored as error/timeout again. ``progress``: the bar on a terminal and log
    lines otherwise by default; ``"log"`` forces log lines, ``False`` is silent. ``summary``
    prints the summary table at the end.
    """
    from ..store import Store, load_results

    spec, cells, skipped = plan_sweep(spec)
    timeout = spec.timeout if timeout is None else float(timeout)
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
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
    if summary:
        from rich.console import Console

        console = Console()
        console.width = max(console.width, 110)  # a log file or pipe gets 80 columns otherwise
        console.print(summary_table(df, title=f"{spec.name}: {len(df)} cells"))
    return df
