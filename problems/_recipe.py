"""Shared builder for the recipes in this folder: evaluate every configuration of a full grid.

A recipe names its axes, a model factory, a data set and a list of train/test splits, and
:func:`build_grid` fits the model on every (configuration, split), then writes ``table.csv``
(one row per configuration: axis values, mean loss, the loss of each replicate, mean and
per-replicate fit seconds, measured as single-thread CPU time so that other jobs on the
machine do not leak into them; configurations run in a fixed random order) and ``meta.toml`` beside the recipe. A *replicate* is one
independent evaluation a user could have made: one CV fold, or one whole CV run with its own
seed (then its loss is the mean over that run's folds and its seconds their sum).
Only scikit-learn's bundled data sets are used, so nothing is downloaded.
"""
from __future__ import annotations

import csv
import datetime as _dt
import itertools
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from threadpoolctl import threadpool_limits


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return repr(float(value)) if isinstance(value, (float, np.floating)) else str(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cell(value):
    """CSV text of an axis value: categorical labels as given, numbers exactly."""
    return value if isinstance(value, str) else repr(float(value))


def build_grid(out_dir, *, axes, default, make_model, loss, X, y, splits, replicate_of_split,
               seed_of_split, meta):
    """Evaluate the full grid and write ``table.csv`` and ``meta.toml`` into ``out_dir``.

    ``axes``: list of ``(name, kind, levels)`` with kind ``ordinal`` (numbers) or
    ``categorical`` (strings). ``make_model(config, seed)`` returns an unfitted estimator;
    ``loss(model, X_test, y_test)`` the value to minimise on one split.
    """
    out_dir = Path(out_dir)
    names = [a[0] for a in axes]
    splits = list(splits)
    rep_of = np.asarray(replicate_of_split)
    n_rep = int(rep_of.max()) + 1
    configs = list(itertools.product(*[a[2] for a in axes]))
    rows = [None] * len(configs)
    start = time.time()
    warnings.filterwarnings("ignore", module="sklearn")  # convergence warnings are part of the surface
    # a fixed random order, so any drift of the machine during the run is noise, not an axis effect
    order = np.random.default_rng(0).permutation(len(configs))
    with threadpool_limits(1):
        for done, c in enumerate(order):
            values = configs[c]
            config = dict(zip(names, values))
            losses = np.zeros(n_rep)
            seconds = np.zeros(n_rep)
            counts = np.zeros(n_rep)
            for s, (train, test) in enumerate(splits):
                model = make_model(config, seed_of_split[s])
                t0 = time.process_time()  # CPU seconds: robust to other jobs on the machine
                model.fit(X[train], y[train])
                seconds[rep_of[s]] += time.process_time() - t0
                losses[rep_of[s]] += loss(model, X[test], y[test])
                counts[rep_of[s]] += 1
            losses /= counts
            rows[c] = ([_cell(v) for v in values]
                       + [f"{losses.mean():.10g}"] + [f"{v:.10g}" for v in losses]
                       + [f"{seconds.mean():.4g}"] + [f"{v:.4g}" for v in seconds])
            if (done + 1) % max(1, len(configs) // 10) == 0:
                print(f"{done + 1}/{len(configs)} configurations, {time.time() - start:.0f} s",
                      file=sys.stderr, flush=True)
    header = (names + ["loss"] + [f"loss_r{k}" for k in range(n_rep)]
              + ["fit_seconds"] + [f"fit_seconds_r{k}" for k in range(n_rep)])
    with open(out_dir / "table.csv", "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    build_seconds = time.time() - start
    lines = [f"# Written by recipe.py ({out_dir.name}); regenerate with: python problems/{out_dir.name}/recipe.py"]
    meta = dict(meta)
    meta.update(
        n_configurations=len(configs),
        n_replicates=n_rep,
        sklearn_version=sklearn.__version__,
        numpy_version=np.__version__,
        fit_seconds="CPU seconds of model.fit (time.process_time, one thread), per replicate",
        build_time=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        build_seconds=round(build_seconds, 1),
    )
    for key, value in meta.items():
        lines.append(f"{key} = {_toml_value(value)}")
    lines.append("\n[default]")
    for key in names:
        lines.append(f"{key} = {_toml_value(default[key])}")
    for name, kind, levels in axes:
        lines.append("\n[[axes]]")
        lines.append(f"name = {_toml_value(name)}")
        lines.append(f"kind = {_toml_value(kind)}")
        lines.append(f"levels = {_toml_value(list(levels))}")
    (out_dir / "meta.toml").write_text("\n".join(lines) + "\n")
    print(f"wrote {out_dir / 'table.csv'} ({len(configs)} configurations) in {build_seconds:.0f} s",
          file=sys.stderr)
