"""``benchsens check``: run a suite and compare every problem x estimator x budget with a
baseline CSV, so CI notices an estimator that became less accurate.

Matching. A cell's *slot* is its identity without the estimator's version (problem, params,
estimator, options, budget, seed, noise, regime and, when recorded, replicate). The baseline
holds one row per slot: the cell key, its status and every score. A run's cells are paired
with the baseline's by slot.

* Same key and the same scores (to ``1e-9``) in every cell of a row -> ``identical``: cells
  are seeded by their key, so an unchanged estimator reproduces its baseline exactly.
* Otherwise the row *changed*: a new version (new keys, so new random streams) or, with the
  same keys, code that changed without a version bump (flagged as such). Changed
  estimators are judged by the rule below.
* A cell ``ok`` in the baseline and ``error``/``timeout``/``skipped`` now -> ``failed``.
* Rows only in the run are ``new`` (pass; ``--update`` records them); rows only in the
  baseline are ``missing`` (fail: something is no longer checked). A row that is only
  partly present (a missing or extra seed, noise level, ...) means the baseline does not
  match the suite: one-line error.

The rule (:func:`compare`; the tests in :func:`judge`). For each estimator (with its
options) x budget that changed, the per-seed scores are paired by (problem, params, noise,
regime, replicate, seed) and pooled over the problems, noise levels, regimes and seeds of
the suite (36 to 72 pairs per group in ``ci``; a single problem x budget has only 6-12, too
few for any test). Two paired differences are tested: ``d = current - baseline`` of the
target-matched ``weighted_tau`` (ranking), and ``r = log(current / baseline)`` of the
value error (the mean of ``mae_first`` and ``mae_total`` where the estimator gives Sobol'
estimates). It is a **regression** when

1. a one-sided Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, zero differences
   dropped) rejects "no change" at ``ALPHA = 0.01`` after Holm's correction over every test
   of the run (groups x the two scores), and
2. the change is large enough to matter: a mean drop of ``weighted_tau`` of at least
   ``MIN_DROP = 0.05``, or a value error grown by a factor of at least
   ``MIN_ERROR_RATIO = 1.15`` (geometric mean over the pairs; for an error falling like
   ``n**-0.5`` that is the error of a quarter fewer evaluations),

for either score, and an **improvement** under the mirrored rule. Anything else is
``unchanged`` (within noise). Under "only the random stream changed" the differences are
symmetric about zero, which is all the test assumes. The pooled mean catches a large drop
on one problem (0.3 on one of six problems is a mean drop of 0.05); the value error catches
a lost half of the budget (errors grow by about sqrt(2)) that rankings barely show.

Measured on the ci suite (``scripts/check_error_rates.py``: 33 seeds = 11 blocks of the
suite's 3 seeds; every pair of blocks as baseline and current with every estimator under a
new version, so all 20 estimator x budget groups are judged at once): 1 false alarm in 55
whole-suite comparisons, 1 of 1100 estimator x budget judgements (``sobol`` at 512, whose
value error over 3 seeds came out 1.24 times the baseline's by chance); none in the 10
independent comparisons against block 0. Degraded estimators against block 0, in 10 fresh
blocks: a bias of 0.1 in ``sobol``'s indices, of 0.05 in ``fanova``'s, and ``sobol`` with half
its budget are caught 10 of 10 times; ``rank_s1`` with half its budget 9 of 10;
``salib.morris`` with half its budget (rankings only, a mean drop of 0.05 at 512) 1 of 10.

Exit status of :func:`run_check`: 0 passed, 1 a regression, a failed or a missing row,
2 (raised as ``ValueError``) a baseline that is absent, corrupt, from another suite or does
not match the suite's cells.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["run_check", "compare", "judge", "holm", "baseline_frame", "read_baseline",
           "write_baseline", "Comparison", "METRIC", "ALPHA", "MIN_DROP", "ERRORS", "MIN_ERROR_RATIO"]

#: The score the rule judges (target-matched, see ``benchsens.scoring``).
METRIC = "weighted_tau"
#: Family-wise level of the one-sided Wilcoxon tests (Holm over every test of a run).
ALPHA = 0.01
#: Smallest mean change of ``METRIC`` that counts as a regression or improvement.
MIN_DROP = 0.05
#: Value errors judged by the same rule (their mean over the cell's available ones), and the
#: smallest growth factor of the error that counts.
ERRORS = ("mae_first", "mae_total")
MIN_ERROR_RATIO = 1.15
#: Scores are "identical" within this absolute/relative tolerance (other BLAS builds).
TOL = 1e-9

#: Identity columns of a slot (``replicate`` joins when both sides record it).
SLOT = ("problem", "params", "estimator", "options", "budget", "noise", "regime", "seed")
OPTIONAL_SLOT = ("replicate",)
#: A row of the report: a problem x estimator x budget.
ROW = ("problem", "params", "estimator", "options", "budget")
#: A judged group: an estimator x budget, pooled over problems.
GROUP = ("estimator", "options", "budget")
_META = ("suite", "version", "key", "status")
#: Score columns that measure time, not accuracy: never stored in a baseline.
_TIMING = ("seconds",)


# -- baseline file ----------------------------------------------------------------------------
def baseline_frame(results: pd.DataFrame, suite: str) -> pd.DataFrame:
    """Baseline rows from ``bs.load_results(store, decode=False)``: suite, slot, version,
    key, status, the evaluations charged and every score column except timings."""
    from .store import COLUMNS

    stored = {name for name, _ in COLUMNS}
    slot = [c for c in (*SLOT, *OPTIONAL_SLOT) if c in results.columns]
    scores = [c for c in results.columns if c not in stored and c not in _TIMING]
    out = results[[*slot, "version", "key", "status", "n_evals", *scores]].copy()
    out.insert(0, "suite", suite)
    return out.sort_values([*slot]).reset_index(drop=True)


def read_baseline(path, suite: str) -> pd.DataFrame:
    """Read and validate a baseline CSV; every defect is a one-line ``ValueError``."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no baseline at {str(path)!r}; record one with: benchsens check --update "
                         f"--baseline {path}")
    try:
        df = pd.read_csv(path, dtype={"params": str, "options": str, "key": str, "version": str,
                                      "suite": str, "status": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"baseline {str(path)!r} is not a readable CSV: {first}") from None
    need = [*_META, *SLOT, METRIC]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"baseline {str(path)!r} is not a benchsens check baseline: "
                         f"column(s) {missing} missing")
    suites = sorted(set(df["suite"].dropna().astype(str)))
    if suites != [suite]:
        raise ValueError(f"baseline {str(path)!r} was recorded for suite(s) {suites}, not {suite!r}; "
                         f"pass the matching --suite or record a new one with --update")
    slot = [c for c in (*SLOT, *OPTIONAL_SLOT) if c in df.columns]
    dup = df.duplicated(slot)
    if dup.any():
        raise ValueError(f"baseline {str(path)!r} lists cell {_label(df[dup].iloc[0])} twice")
    from .store import STATUSES

    bad = ~df["status"].isin(STATUSES)
    if bad.any():
        raise ValueError(f"baseline {str(path)!r}: cell {_label(df[bad].iloc[0])} has status "
                         f"{df[bad]['status'].iloc[0]!r}")
    try:
        df["budget"] = df["budget"].astype(int)
        df["seed"] = df["seed"].astype(int)
        df["noise"] = df["noise"].astype(float)
        for col in (METRIC, *(e for e in ERRORS if e in df.columns)):
            df[col] = df[col].astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"baseline {str(path)!r} has a malformed budget, seed, noise or score value: "
                         f"{exc}") from None
    return df


def write_baseline(path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` to ``path`` atomically (a temporary file in the same directory,
    then ``os.replace``), so an interrupted update never leaves half a baseline."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            frame.to_csv(fh, index=False)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~umask)  # not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _label(row) -> str:
    params = "" if row.get("params") in (None, "{}") or pd.isna(row.get("params")) else f"{row['params']}"
    extra = "".join(f" {c}={row[c]}" for c in ("seed", "noise", "regime") if c in row and pd.notna(row[c]))
    return f"{row['problem']}{params} x {row['estimator']} budget={row['budget']}" + extra


# -- the rule ---------------------------------------------------------------------------------
def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979), in the input order."""
    p = np.asarray(pvalues, float)
    order = np.argsort(p)
    m = p.size
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty_like(p)
    out[order] = adjusted
    return out


def judge(deltas) -> dict:
    """Summary and one-sided Wilcoxon p-values of paired differences (current - baseline)."""
    d = np.asarray(deltas, float)
    d = d[np.isfinite(d)]
    nonzero = d[np.abs(d) > TOL]
    out = {"pairs": int(d.size), "nonzero": int(nonzero.size),
           "mean": float(d.mean()) if d.size else np.nan,
           "median": float(np.median(d)) if d.size else np.nan,
           "p_worse": 1.0, "p_better": 1.0}
    if nonzero.size:
        out["p_worse"] = float(stats.wilcoxon(nonzero, alternative="less").pvalue)
        out["p_better"] = float(stats.wilcoxon(nonzero, alternative="greater").pvalue)
    return out


# -- comparison -------------------------------------------------------------------------------
@dataclasses.dataclass
class Comparison:
    """What :func:`compare` found: one row per problem x estimator x budget (``rows``), one
    per judged estimator x budget (``groups``); ``failed`` says whether the check fails."""

    rows: pd.DataFrame
    groups: pd.DataFrame
    n_cells: int

    @property
    def failed(self) -> bool:
        return bool(self.groups["verdict"].isin(("regression", "failed", "missing")).any())

    def counts(self, of: str = "rows") -> dict:
        frame = self.rows if of == "rows" else self.groups
        col = "status" if of == "rows" else "verdict"
        return frame[col].value_counts().to_dict()


def _same_scores(a: pd.DataFrame, b: pd.DataFrame, scores: list[str]) -> np.ndarray:
    """Per pair: every score equal within TOL (NaN equals NaN)."""
    same = np.ones(len(a), bool)
    for col in scores:
        x, y = a[col].to_numpy(float), b[col].to_numpy(float)
        close = np.isclose(x, y, rtol=TOL, atol=TOL) | (np.isnan(x) & np.isnan(y))
        same &= close
    return same


def _slot(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    return [c for c in (*SLOT, *OPTIONAL_SLOT) if c in a.columns and c in b.columns]


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in ("params", "options", "regime", "estimator", "problem"):
        frame[col] = frame[col].astype(str)
    frame["budget"] = frame["budget"].astype(int)
    frame["seed"] = frame["seed"].astype(int)
    frame["noise"] = frame["noise"].astype(float)
    if "replicate" in frame:
        frame["replicate"] = frame["replicate"].astype(bool)
    return frame


def _refuse_partial_rows(merged: pd.DataFrame):
    """One-line error when a problem x estimator x budget row is present on both sides but
    with different cells (a seed, noise level or regime more or less)."""
    partial = [g for _, g in merged.groupby(list(ROW), sort=True, dropna=False) if g["_merge"].nunique() > 1]
    if partial:
        lonely = pd.concat([g[g["_merge"] != "both"] for g in partial])
        n_base = int((lonely["_merge"] == "left_only").sum())
        n_cur = int((lonely["_merge"] == "right_only").sum())
        raise ValueError(f"the baseline does not match the suite's cells: {n_base} baseline cell(s) "
                         f"not in the suite, {n_cur} suite cell(s) not in the baseline (first: "
                         f"{_label(lonely.iloc[0])}); re-record it with --update")


def check_shape(baseline: pd.DataFrame, planned: pd.DataFrame):
    """Before running: refuse a baseline whose rows only partly match the planned cells
    (``Cell.row()`` dicts as a frame)."""
    base, cur, slot = _normalise(baseline), _normalise(planned), _slot(baseline, planned)
    _refuse_partial_rows(base[slot].merge(cur[slot], on=slot, how="outer", indicator=True))


def compare(baseline: pd.DataFrame, current: pd.DataFrame, alpha: float = ALPHA,
            min_drop: float = MIN_DROP, min_error_ratio: float = MIN_ERROR_RATIO,
            metric: str = METRIC) -> Comparison:
    """Pair ``current`` with ``baseline`` (both in :func:`baseline_frame` form) and judge.

    Raises ``ValueError`` (one line) when a row is only partly present on one side.
    """
    base, cur, slot = _normalise(baseline), _normalise(current), _slot(baseline, current)
    merged = base.merge(cur, on=slot, how="outer", suffixes=("_base", "_cur"), indicator=True)
    _refuse_partial_rows(merged)
    by_row = merged.groupby(list(ROW), sort=True, dropna=False)

    scores = [c[:-5] for c in merged.columns if c.endswith("_base") and c[:-5] + "_cur" in merged.columns
              and c[:-5] not in (*_META,) and pd.api.types.is_numeric_dtype(merged[c])]
    rows = []
    for name, g in by_row:
        row = dict(zip(ROW, name))
        row["cells"] = len(g)
        where = g["_merge"].iloc[0]
        if where == "left_only":
            rows.append({**row, "status": "missing", "baseline": _median(g, metric + "_base"),
                         "current": np.nan, "delta": np.nan})
            continue
        if where == "right_only":
            rows.append({**row, "status": "new", "baseline": np.nan,
                         "current": _median(g, metric + "_cur"), "delta": np.nan})
            continue
        was_ok, is_ok = g["status_base"] == "ok", g["status_cur"] == "ok"
        same_key = bool((g["key_base"] == g["key_cur"]).all())
        identical = (same_key and bool((g["status_base"] == g["status_cur"]).all())
                     and bool(_same_scores(g[[s + "_base" for s in scores]].set_axis(scores, axis=1),
                                           g[[s + "_cur" for s in scores]].set_axis(scores, axis=1),
                                           scores).all()))
        if identical:
            status = "identical"
        elif (was_ok & ~is_ok).any():
            status = "failed"
        elif same_key:
            status = "changed, same version"
        else:
            status = "changed"
        both = g[was_ok & is_ok]
        deltas = (both[metric + "_cur"] - both[metric + "_base"]).to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            logratio = np.log(_value_error(both, "_cur") / _value_error(both, "_base"))
        logratio = logratio[np.isfinite(logratio)]
        rows.append({**row, "status": status, "baseline": _median(g[was_ok], metric + "_base"),
                     "current": _median(g[is_ok], metric + "_cur"),
                     "delta": float(deltas.mean()) if len(deltas) else np.nan,
                     "error_ratio": float(np.exp(logratio.mean())) if logratio.size else np.nan,
                     "failed_cells": int((was_ok & ~is_ok).sum()), "_deltas": deltas,
                     "_logratio": logratio})
    rows = pd.DataFrame(rows)
    if "failed_cells" not in rows:
        rows["failed_cells"] = 0
    rows["failed_cells"] = rows["failed_cells"].fillna(0).astype(int)

    groups = []
    for name, g in rows.groupby(list(GROUP), sort=True):
        statuses = set(g["status"])
        summary = judge(_pooled(g, "_deltas"))
        err = judge(_pooled(g, "_logratio"))
        if statuses == {"identical"}:
            verdict = "identical"
        elif statuses == {"new"}:
            verdict = "new"
        elif "missing" in statuses:
            verdict = "missing"
        else:
            verdict = "judge"
        groups.append({**dict(zip(GROUP, name)), "verdict": verdict, **summary,
                       "err_pairs": err["pairs"], "err_mean": err["mean"],
                       # a value error gets worse when it grows: the other tail
                       "err_p_worse": err["p_better"], "err_p_better": err["p_worse"],
                       "failed_cells": int(g["failed_cells"].sum()),
                       "same_version": bool((g["status"] == "changed, same version").any())})
    groups = pd.DataFrame(groups)
    judged = (groups["verdict"] == "judge").to_numpy()
    with_err = judged & (groups["err_pairs"] > 0).to_numpy()
    for side in ("worse", "better"):  # Holm over every test of the run: groups x metrics
        groups[f"p_{side}_holm"] = np.nan
        groups[f"err_p_{side}_holm"] = np.nan
        adjusted = holm(np.concatenate([groups.loc[judged, f"p_{side}"], groups.loc[with_err, f"err_p_{side}"]]))
        groups.loc[judged, f"p_{side}_holm"] = adjusted[:judged.sum()]
        groups.loc[with_err, f"err_p_{side}_holm"] = adjusted[judged.sum():]
    if judged.any():
        log_min = np.log(min_error_ratio)
        worse = judged & (((groups["p_worse_holm"] < alpha) & (groups["mean"] <= -min_drop))
                          | ((groups["err_p_worse_holm"] < alpha) & (groups["err_mean"] >= log_min)))
        better = judged & (((groups["p_better_holm"] < alpha) & (groups["mean"] >= min_drop))
                           | ((groups["err_p_better_holm"] < alpha) & (groups["err_mean"] <= -log_min)))
        groups.loc[judged, "verdict"] = "unchanged"
        groups.loc[better, "verdict"] = "improvement"
        groups.loc[worse, "verdict"] = "regression"
        groups.loc[judged & (groups["failed_cells"] > 0), "verdict"] = "failed"
    rows = rows.drop(columns=["_deltas", "_logratio"], errors="ignore")
    return Comparison(rows=rows, groups=groups, n_cells=len(current))


def _pooled(rows: pd.DataFrame, col: str) -> np.ndarray:
    parts = [d for d in rows[col] if isinstance(d, np.ndarray)] if col in rows else []
    return np.concatenate(parts) if parts else np.empty(0)


def _value_error(frame: pd.DataFrame, suffix: str) -> np.ndarray:
    """Per cell: the mean of its value errors (``ERRORS``), NaN when it has none."""
    cols = [frame[e + suffix].to_numpy(float) for e in ERRORS if e + suffix in frame]
    if not cols or not len(frame):
        return np.full(len(frame), np.nan)
    with warnings.catch_warnings():  # a cell with no value error is NaN, silently
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.vstack(cols), axis=0)


def _median(g, col) -> float:
    values = g[col].to_numpy(float) if col in g else np.empty(0)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else np.nan


# -- output -----------------------------------------------------------------------------------
_ORDER = ("regression", "failed", "missing", "improvement", "unchanged", "new", "identical")


def _num(x, signed=False) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def _ratio(log_ratio) -> str:
    return "-" if log_ratio is None or not np.isfinite(log_ratio) else f"{np.exp(log_ratio):.2f}"


def _pval(x) -> str:
    return "-" if x is None or not np.isfinite(x) else (f"{x:.1e}" if x < 1e-3 else f"{x:.3f}")


def _options(text) -> str:
    return "" if text in ("{}", "", None) else f" {text}"


def _tables(cmp: Comparison) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    g = cmp.groups.copy()
    g["_o"] = g["verdict"].map(_ORDER.index)
    g = g.sort_values(["_o", "estimator", "budget"])
    ghead = ["verdict", "estimator", "budget", "pairs", f"mean Δ {METRIC}", f"p {METRIC}", "error ×",
             "p error", "note"]
    gbody = []
    for _, r in g.iterrows():
        if r["verdict"] == "identical":
            continue
        note = []
        if r["failed_cells"]:
            note.append(f"{r['failed_cells']} cell(s) no longer ok")
        if r["same_version"]:
            note.append("scores changed without a new version")
        side = "better" if r["verdict"] == "improvement" else "worse"
        judged = r["verdict"] not in ("new", "missing")
        gbody.append([r["verdict"], r["estimator"] + _options(r["options"]), str(r["budget"]),
                      str(r["pairs"]) if judged else "-", _num(r["mean"], True),
                      _pval(r[f"p_{side}_holm"]), _ratio(r["err_mean"]), _pval(r[f"err_p_{side}_holm"]),
                      "; ".join(note)])
    rows = cmp.rows[cmp.rows["status"] != "identical"].sort_values(["estimator", "budget", "problem"])
    rhead = ["status", "problem", "estimator", "budget", "cells", f"baseline {METRIC}",
             "current", "mean Δ", "error ×"]
    rbody = [[r["status"], r["problem"] + ("" if r["params"] == "{}" else f" {r['params']}"),
              r["estimator"] + _options(r["options"]), str(r["budget"]), str(r["cells"]),
              _num(r["baseline"]), _num(r["current"]), _num(r["delta"], True),
              _ratio(np.log(r["error_ratio"]) if "error_ratio" in r and r["error_ratio"] > 0 else np.nan)]
             for _, r in rows.iterrows()]
    return ghead, gbody, rhead, rbody


def _summary(cmp: Comparison) -> str:
    counts = cmp.counts("groups")
    parts = [f"{counts[v]} {v}" for v in _ORDER if counts.get(v)]
    verdict = "FAILED" if cmp.failed else "passed"
    return (f"{verdict}: estimator x budget groups: {', '.join(parts)} "
            f"({len(cmp.rows)} problem x estimator x budget rows, {cmp.n_cells} cells)")


def _rule() -> str:
    return (f"Rule: a changed estimator x budget regresses when a one-sided Wilcoxon signed-rank test "
            f"on its per-seed {METRIC} differences (paired by problem, noise, regime, seed) has "
            f"Holm-adjusted p < {ALPHA} and the mean drop is >= {MIN_DROP}, or the same test on the "
            f"log ratio of its value error (mean of {', '.join(ERRORS)}) has p < {ALPHA} and the "
            f"error grew by a factor >= {MIN_ERROR_RATIO} (geometric mean). p: Holm over all tests "
            f"of the run; error ×: geometric mean of current/baseline value error.")


def format_text(cmp: Comparison, title: str) -> str:
    ghead, gbody, rhead, rbody = _tables(cmp)
    out = [title, _summary(cmp)]
    for head, body, caption in ((ghead, gbody, "Estimator x budget"),
                                (rhead, rbody, "Problem x estimator x budget (identical rows omitted)")):
        if not body:
            continue
        widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(head)]
        out += ["", caption + ":", "  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
        out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in body]
    n_ident = int((cmp.rows["status"] == "identical").sum())
    if n_ident:
        out += ["", f"{n_ident} rows identical to the baseline (same keys, same scores)."]
    out += ["", _rule()]
    return "\n".join(out)


def format_markdown(cmp: Comparison, title: str) -> str:
    ghead, gbody, rhead, rbody = _tables(cmp)
    icon = "❌" if cmp.failed else "✅"
    out = [f"### {icon} {title}", "", f"**{_summary(cmp)}**"]

    def table(head, body):
        esc = [[c.replace("|", "\\|") for c in r] for r in body]
        return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
                *("| " + " | ".join(r) + " |" for r in esc)]

    if gbody:
        out += ["", *table(ghead, gbody)]
    if rbody:
        out += ["", "<details><summary>Problem x estimator x budget rows that are not identical "
                f"({len(rbody)})</summary>", "", *table(rhead, rbody), "", "</details>"]
    out += ["", f"_{_rule()}_"]
    return "\n".join(out)


def _update_message(cmp: Comparison | None, path, n_rows: int) -> str:
    if cmp is None:
        return f"recorded a new baseline {path} ({n_rows} cells)"
    counts = cmp.counts("rows")
    changes = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()) if s != "identical") or "nothing changed"
    return (f"updated baseline {path} ({n_rows} cells): rows {changes}; "
            f"{counts.get('identical', 0)} identical")


# -- the command --------------------------------------------------------------------------------
def _spec_for(suite: str, estimators):
    """The suite's spec (a shipped suite name or a TOML path), restricted to ``estimators``;
    an estimator the suite does not list is added with the suite's defaults."""
    from .harness import load_spec

    spec = load_spec(suite if suite.endswith(".toml") or os.sep in suite else f"suite:{suite}").to_dict()
    if estimators:
        listed = {e["name"]: e for e in spec["estimators"]}
        spec["estimators"] = [listed.get(name, {"name": name}) for name in dict.fromkeys(estimators)]
    return spec


def run_check(suite: str = "ci", baseline="results/ci-baseline.csv", update: bool = False,
              estimators=None, format: str = "text", store=None, workers: int | None = None,
              allow_imports: bool = False, out=None) -> int:
    """Run ``suite`` into a temporary store (or ``store``), compare it with ``baseline`` and
    print the tables; return the exit status (0 pass, 1 regression/failed/missing).

    ``estimators`` restricts the suite (and the baseline) to these names; ``update``
    rewrites the baseline's rows of the run estimators with this run's cells;
    ``allow_imports`` lets a spec file's ``imports`` run (as in ``bs.run_sweep``).
    """
    from .harness import plan_sweep, run_sweep
    from .store import load_results

    out = sys.stdout if out is None else out
    if format not in ("text", "markdown"):
        raise ValueError(f"format must be 'text' or 'markdown', got {format!r}")
    spec, cells, skipped = plan_sweep(_spec_for(suite, estimators), allow_imports)
    planned = pd.DataFrame([c.row() for c in (*cells, *(c for c, _ in skipped))])
    run_names = set(planned["estimator"])
    path = Path(baseline)
    old, note = None, ""
    try:
        old = read_baseline(path, spec.name) if path.exists() or not update else None
    except ValueError as exc:
        if not update or estimators:  # a partial update must keep the other rows: refuse
            raise
        note = f" (replaced an unusable baseline: {exc})"
    base = old[old["estimator"].isin(run_names)] if old is not None and estimators else old
    if base is not None and not update:
        check_shape(base, planned)  # before spending the run on a baseline that cannot match

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(store) if store is not None else Path(tmp) / "check.sqlite"
        keys = set(run_sweep(spec, store=db, workers=workers, progress="log", summary=False,
                                   allow_imports=allow_imports)["key"])
        results = load_results(db, decode=False)  # params/options as the canonical JSON text
    current = baseline_frame(results[results["key"].isin(keys)], spec.name)

    title = f"benchsens check: suite {spec.name!r} against {path}"
    if update:
        cmp = None
        if base is not None and len(base):
            try:
                cmp = compare(base, current)
            except ValueError:  # the suite changed shape: the update is the fix
                note = " (the suite's cells changed shape)"
        kept = old[~old["estimator"].isin(run_names)] if old is not None and estimators else None
        frame = current if kept is None else pd.concat([kept, current], ignore_index=True)
        write_baseline(path, frame)
        if cmp is not None and not set(cmp.rows["status"]) <= {"identical"}:
            print(format_markdown(cmp, title) if format == "markdown" else format_text(cmp, title), file=out)
        print(_update_message(cmp, path, len(frame)) + note, file=out)
        return 0
    cmp = compare(base, current)
    text = format_markdown(cmp, title) if format == "markdown" else format_text(cmp, title)
    print(text, file=out)
    return 1 if cmp.failed else 0
