"""Reading a result store (SQLite, or its CSV/Parquet export) into the one table every
report section is computed from, plus the provenance of that table.

Every input goes through the same CSV round trip (the export format), so a report built
from a store and one built from ``benchsens export`` of that store are identical, and the
store hash (sha256 of the cells sorted by key, columns sorted, as CSV) is the same for both.
"""
from __future__ import annotations

import hashlib
import io
import json
import platform
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from ..store import STATUSES, load_results, load_sweeps

#: Packages whose versions go into provenance.json (the run's own versions are in the store).
PACKAGES = ("benchsens", "numpy", "scipy", "scikit-learn", "SALib", "optuna", "pandas",
            "matplotlib", "seaborn", "scikit-posthocs", "statsmodels")

#: Score columns the report reads (absent ones are treated as all-NaN).
SCORES = ("weighted_tau", "spearman", "weighted_tau_total", "spearman_total",
          "weighted_tau_first", "spearman_first", "mae_first", "mae_total")

#: The worst value of each rank score: what a failed, timed-out or skipped cell counts as
#: when estimators are ranked or aggregated across problems.
WORST_TAU = -1.0


def _read_any(source: Path) -> tuple[pd.DataFrame, list[dict]]:
    """Raw cells table and the recorded sweep specs (only a SQLite store keeps those)."""
    name = source.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        with open(source, "rb") as fh:  # by content: a plain CSV may carry a .gz name
            gzipped = fh.read(2) == b"\x1f\x8b"
        return pd.read_csv(source, compression="gzip" if gzipped else None), []
    if name.endswith(".parquet"):
        return pd.read_parquet(source), []
    specs = [{"name": s["name"], "spec": s["spec"]} for s in load_sweeps(source) if s["spec"] is not None]
    return load_results(source, decode=False), specs


def _canonical(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The cells after a CSV round trip, sorted by key, and the sha256 of that CSV text."""
    df = df.sort_values("key", kind="stable").reset_index(drop=True)
    df = df[sorted(df.columns)]
    text = df.to_csv(index=False)
    parsed = pd.read_csv(io.StringIO(text))
    return parsed, hashlib.sha256(parsed.to_csv(index=False).encode()).hexdigest()


def _flag(col: pd.Series) -> pd.Series:
    """A 0/1 column (bool, number or text after a CSV round trip) as bool; missing = False."""
    text = col.astype(str).str.strip().str.lower()
    return text.isin(("1", "1.0", "true"))


def _label_with(base: pd.Series, extra: pd.Series) -> pd.Series:
    return base.where(extra == "", base + " " + extra)


def _params_text(col: pd.Series) -> pd.Series:
    text = col.fillna("{}").astype(str)
    return text.where(text != "{}", "").str.replace('"', "", regex=False)


def _problem_labels(df: pd.DataFrame) -> pd.Series:
    """``name``, plus parameters, noise, replicate and regime when they are not the default."""
    parts = [df["problem"].astype(str), _params_text(df["params"])]
    noise = pd.to_numeric(df["noise"], errors="coerce")
    replicate = (df["noise"].astype(str) == "replicate")
    if "replicate" in df:
        replicate |= _flag(df["replicate"])
    parts.append(pd.Series(np.where(noise.fillna(0) != 0, "noise=" + noise.astype(str), ""), index=df.index))
    parts.append(pd.Series(np.where(replicate, "replicate", ""), index=df.index))
    regime = df["regime"].fillna("design").astype(str)
    parts.append(regime.where(regime != "design", ""))
    label = parts[0]
    for p in parts[1:]:
        label = _label_with(label, p)
    return label


def _estimator_labels(df: pd.DataFrame) -> pd.Series:
    """``name``, plus options when given, the version when a store holds several, and
    ``[oracle]`` for estimators that receive information for free."""
    label = _label_with(df["estimator"].astype(str), _params_text(df["options"]))
    version_text = df["version"].astype(str)
    n_versions = version_text.groupby(label).transform("nunique")
    label = label.where(n_versions <= 1, label + " v" + version_text)
    return label.where(~df["oracle"], label + " [oracle]")


def _tags(df: pd.DataFrame) -> pd.Series | None:
    """Problem tags as tuples, from a ``tags`` column (JSON list or space/comma separated)."""
    if "tags" not in df or df["tags"].isna().all():
        return None

    def parse(text):
        if not isinstance(text, str) or not text.strip():
            return ()
        text = text.strip()
        if text.startswith("["):
            return tuple(sorted(json.loads(text)))
        return tuple(sorted(t for t in re.split(r"[,\s]+", text) if t))

    return df["tags"].map(parse)


def load_cells(source) -> tuple[pd.DataFrame, dict]:
    """The cells of a store (or export) with report columns added, and the input's facts.

    Added columns: ``problem_label``, ``estimator_label``, ``target`` (the estimator's
    declared target, ``"unrecorded"`` in stores from before targets existed), ``oracle``
    (bool), ``tags`` (tuples, only when the store carries them), ``objective`` (NaN in stores
    from before objectives), ``base_problem`` (the problem's recorded name) and every score of
    :data:`SCORES` (NaN where absent). A cell of an objective other than ``loss`` gets the
    problem name ``f"{problem}.{objective}"`` (the registered-name convention, e.g.
    ``svc_digits.log_time``), so every table treats (problem, objective) as its own surface.
    """
    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"no result store or export at {str(source)!r}")
    raw, specs = _read_any(source)
    if "key" not in raw or "status" not in raw:
        raise ValueError(f"{str(source)!r} is not a benchsens store or export (no 'key'/'status' columns)")
    if raw.empty:
        raise ValueError(f"{str(source)!r} holds no cells: run a sweep into it first")
    df, store_hash = _canonical(raw)
    bad = sorted(set(df["status"]) - set(STATUSES))
    if bad:
        raise ValueError(f"{str(source)!r}: unknown cell status {bad[0]!r} (expected one of {STATUSES})")
    for col in SCORES + ("n_evals", "analysis_seconds", "cell_seconds", "plan_seconds"):
        df[col] = pd.to_numeric(df[col], errors="coerce") if col in df else np.nan
    df["oracle"] = _flag(df["oracle"]) if "oracle" in df else False
    target = df["target"] if "target" in df else pd.Series(np.nan, index=df.index)
    df["target"] = target.fillna("unrecorded").astype(str)
    df["budget"] = df["budget"].astype(int)
    df["base_problem"] = df["problem"]
    if "objective" not in df:
        df["objective"] = np.nan
    name, objective = df["problem"].astype(str), df["objective"].astype(object).fillna("").astype(str)
    relabel = df["objective"].notna() & (objective != "loss") & ~pd.Series(
        [n.endswith("." + o) for n, o in zip(name, objective)], index=df.index, dtype=bool)
    df["problem"] = df["problem"].where(~relabel, name + "." + objective)
    df["problem_label"] = _problem_labels(df)
    df["estimator_label"] = _estimator_labels(df)
    tags = _tags(df)
    if tags is not None:
        df["tags"] = tags
    elif "tags" in df:
        df = df.drop(columns="tags")
    facts = {"source": source.name, "store_hash": store_hash, "specs": specs}
    return df, facts


def _git_commit() -> str | None:
    """The commit of the source tree benchsens runs from (``-dirty`` when files of the
    package differ from it); None when benchsens is not running from a git checkout."""
    here = Path(__file__).resolve()
    package = here.parents[1]

    def git(*args):
        out = subprocess.run(["git", "-C", str(package), *args], capture_output=True, text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else None

    try:
        top = git("rev-parse", "--show-toplevel")
        # an installed copy may sit inside some other repository: it must be this file's tree
        if top is None or (Path(top) / "benchsens" / "reports" / here.name).resolve() != here:
            return None
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--", ".")
    except (OSError, subprocess.SubprocessError):
        return None
    return None if commit is None else commit + ("-dirty" if dirty else "")


def _version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _suite(df: pd.DataFrame, specs: list[dict]) -> dict:
    """Suite name(s), version (the ``-vN`` suffix of a frozen suite's name) and spec hash."""
    names = sorted(set(df["sweep"].dropna().astype(str))) if "sweep" in df else []
    out = []
    for name in names:
        recorded = [s["spec"] for s in specs if s["name"] == name]
        match = re.search(r"-v(\d+)$", name)
        entry = {"name": name, "version": match.group(1) if match else None}
        if recorded:
            hashes = sorted({hashlib.sha256(json.dumps(s, sort_keys=True).encode()).hexdigest()
                             for s in recorded})
            entry.update(spec_sha256=hashes if len(hashes) > 1 else hashes[0], spec=recorded[-1])
        else:
            entry["spec_sha256"] = None
            entry["spec_note"] = "the input is an export, which does not carry the sweep spec"
        out.append(entry)
    return out


def provenance(df: pd.DataFrame, facts: dict, today: str) -> dict:
    """What the report was built from and with (``today`` is the only time-dependent field)."""
    counts = df["status"].value_counts()
    run_versions = {}
    if "versions" in df:
        for text in df["versions"].dropna().unique():
            for k, v in json.loads(text).items():
                run_versions.setdefault(k, set()).add(str(v))
    return {
        "benchsens_version": _version("benchsens"),
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {p: _version(p) for p in PACKAGES},
        "run_versions": {k: sorted(v) for k, v in sorted(run_versions.items())},
        "suite": _suite(df, facts["specs"]),
        "input": facts["source"],
        "store_sha256": facts["store_hash"],
        "store_hash_note": "sha256 of the cells sorted by key (columns sorted) as CSV; "
                           "the same for a store and its CSV/Parquet export",
        "date": today,
        "cells": int(len(df)),
        "counts": {s: int(counts.get(s, 0)) for s in STATUSES},
        "problems": int(df["problem_label"].nunique()),
        "estimators": int(df["estimator_label"].nunique()),
        "budgets": sorted(int(b) for b in df["budget"].unique()),
        "problem_tags": "tags" in df,
    }
