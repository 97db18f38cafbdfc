"""Progress of a sweep (a rich bar on a terminal, plain log lines otherwise) and the
summary table printed at the end."""
from __future__ import annotations

import sys
import time

import numpy as np

__all__ = ["Progress", "summary_table"]


class Progress:
    """Cells done / failed / ETA. ``mode``: True (rich bar), "log" (plain lines on stderr),
    False (silent), None (the bar when stderr is a terminal, else log lines)."""

    def __init__(self, total: int, already: int = 0, mode: bool | str | None = None, name: str = "sweep",
                 log_every: float = 5.0):
        if mode not in (True, False, None, "log"):
            raise ValueError(f"progress must be True, False, None or 'log', got {mode!r}")
        self.total, self.already, self.name = total, already, name
        self.done = self.failed = 0
        self.silent = mode is False
        self.live = sys.stderr.isatty() if mode is None else mode is True
        self.log_every = log_every
        self._last_log = 0.0
        self._start = time.monotonic()
        self._bar = None

    def __enter__(self):
        if self.silent:
            return self
        if self.live:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                                       TextColumn, TimeElapsedColumn, TimeRemainingColumn)

            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("[red]{task.fields[failed]} failed"), TimeElapsedColumn(),
                TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True),
            )
            self._bar.start()
            self._task = self._bar.add_task(self.name, total=self.total, failed=0)
        else:
            self._log(f"{self.name}: {self.total} cells to run"
                      + (f" ({self.already} already in the store)" if self.already else ""))
        return self

    def __exit__(self, *exc):
        if self.silent:
            return
        if self._bar is not None:
            self._bar.stop()
        else:
            self._log(f"{self.name}: {self.done}/{self.total} cells run, {self.failed} failed, "
                      f"{time.monotonic() - self._start:.1f} s")

    @staticmethod
    def _log(text):
        print(f"[benchsens {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    def update(self, row: dict, label: str):
        self.done += 1
        failed = row["status"] not in ("ok", "skipped")
        self.failed += failed
        if self.silent:
            return
        if self._bar is not None:
            self._bar.update(self._task, advance=1, failed=self.failed)
            if failed:
                self._bar.console.print(f"[red]{row['status']}[/red] {label}: {row.get('message', '')[:200]}",
                                        markup=True, highlight=False)
            return
        now = time.monotonic()
        if failed or now - self._last_log >= self.log_every or self.done == self.total:
            self._last_log = now
            elapsed = now - self._start
            eta = elapsed / self.done * (self.total - self.done)
            line = f"{self.done}/{self.total} done, {self.failed} failed, ETA {eta:.0f} s"
            if failed:
                line += f"; {row['status']}: {label}: {row.get('message', '')[:200]}"
            self._log(line)


def _label(values) -> str:
    """The distinct non-missing values of a column, joined (``-`` when none)."""
    seen = [str(v) for v in dict.fromkeys(values) if isinstance(v, str) and v]
    return "/".join(seen) or "-"


def summary_table(df, title: str = "sweep summary"):
    """A rich Table: per estimator, its target (what its ranking scores are matched to),
    cells by status, median target-matched ranking scores and timings. Oracle estimators
    (information for free, not comparable at equal budget) are flagged."""
    from rich.table import Table

    table = Table(title=title)
    for col in ("estimator", "target", "ok", "error", "timeout", "skipped", "spearman",
                "weighted τ", "eval s", "analysis s"):
        table.add_column(col, justify="left" if col in ("estimator", "target") else "right")
    if df.empty:
        return table

    def med(values):
        values = np.asarray(values, float)
        values = values[np.isfinite(values)]
        return f"{np.median(values):.3f}" if values.size else "-"

    any_oracle = False
    for est, group in df.groupby("estimator", sort=True):
        counts = group["status"].value_counts()
        ok = group[group["status"] == "ok"]
        oracle = "oracle" in group and bool(group["oracle"].fillna(0).astype(bool).any())
        any_oracle |= oracle
        table.add_row(
            f"{est} (oracle)" if oracle else est,
            _label(group["target"]) if "target" in group else "-",
            *(str(int(counts.get(s, 0))) for s in ("ok", "error", "timeout", "skipped")),
            med(ok["spearman"]) if "spearman" in ok else "-",
            med(ok["weighted_tau"]) if "weighted_tau" in ok else "-",
            med(ok["eval_seconds"]), med(ok["analysis_seconds"]),
        )
    table.caption = ("spearman and weighted τ rank importance against the truth of each "
                     "row's target (benchsens.scoring.RANKED_AGAINST)")
    if any_oracle:
        table.caption += "; (oracle): receives information for free, not comparable at equal budget"
    return table
