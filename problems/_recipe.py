"""Shared builder for the recipes in this folder: evaluate every configuration of a full grid.

A recipe names its axes, a model factory, a data set and a list of train/test splits, and
:func:`build_grid` fits the model on every (configuration, split), then writes ``table.csv``
(one row per configuration: axis values, mean loss, the loss of each replicate, mean and
per-replicate fit seconds, measured as single-thread CPU time so that other jobs on the
machine do not leak into them; configurations run in a fixed random order) and ``meta.toml`` beside the recipe. A *replicate* is one
independent evaluation a user could have made: one CV fold, or one whole CV run with its own
seed (then its loss is the mean over that run's folds and its seconds their sum).
A second pass, separate so that it cannot disturb the fit seconds, writes ``memory.csv``: the
peak memory of one fit per configuration (see :func:`peak_fit_bytes`); ``recipe.py --memory``
runs only that pass and leaves ``table.csv`` and the other keys of ``meta.toml`` untouched.
A grid may be *conditional* (a parameter active only under some values of another): each
distinct active configuration is evaluated once and its row copied to every configuration
that differs from it only in inactive parameters, so the table is a full product grid on
which an inactive parameter has exactly no effect.
Only scikit-learn's bundled data sets are used, so nothing is downloaded.
"""
from __future__ import annotations

import argparse
import csv
import datetime as _dt
import gc
import itertools
import os
import platform
import sys
import time
import tomllib
import traceback
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import sklearn
from threadpoolctl import threadpool_limits

MIB = 2 ** 20
MEMORY_NOTE = (
    "peak bytes traced by tracemalloc (Python objects and numpy buffers) during one model.fit on "
    "the first split, over what was traced just before the call (the training data are not "
    "counted); measured in a forked child after one warm-up fit of the same configuration, so "
    "one-time caches and imports are excluded")
MEMORY_BLIND = (
    "memory that compiled code allocates with its own malloc is not seen: libsvm's kernel cache "
    "and its internal copy of the model, BLAS work buffers, the node arrays of scikit-learn's "
    "trees; arrays numpy creates (support vectors, weights, coefficients) are seen")
MEMORY_DETERMINISM = (
    "a repeated measurement in the same process is bit-identical for SVC, MLP, ElasticNet and "
    "KNN fits; between full passes in separate processes (other hash seed and history) values "
    "differed by up to about 1 KiB (under 1 %) per configuration; random-forest fits vary by "
    "up to about 11 KiB (~5 %) even between repeats in one process (arrays that "
    "scikit-learn's per-tree fitting keeps differ between identical fits)")


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


def decades(low: int, high: int) -> list[float]:
    """Powers of ten ``10**low .. 10**high`` exactly as written: a level must match the committed
    table, and ``np.logspace(-5, 2, 8)[0]`` is 9.999999999999999e-06 on some machines (numpy
    2.4.6 here) where the tables were built with 1e-05."""
    return [float(f"1e{k}") for k in range(low, high + 1)]


def configurations(axes) -> list[tuple]:
    """Every configuration of the full grid, in table order (the product of the levels)."""
    return list(itertools.product(*[a[2] for a in axes]))


def active_config(config: dict, conditions, default) -> dict:
    """``config`` with every inactive parameter set to its value in ``default``.

    ``conditions``: ``{child: (parent, values)}``; a child is active when its parent is active
    and takes one of ``values``.
    """
    conditions = conditions or {}

    def active(name):
        if name not in conditions:
            return True
        parent, values = conditions[name]
        return active(parent) and config[parent] in values

    return {n: (v if active(n) else default[n]) for n, v in config.items()}


def evaluate(config, *, make_model, loss, X, y, splits, replicate_of_split, seed_of_split, **_):
    """Per-replicate losses and CPU fit seconds of one configuration (the table's row)."""
    rep_of = np.asarray(replicate_of_split)
    n_rep = int(rep_of.max()) + 1
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
    return losses, seconds


def peak_fit_bytes(config, *, make_model, X, y, splits, seed_of_split, **_) -> int:
    """Peak bytes traced by :mod:`tracemalloc` during one ``model.fit`` on the first split.

    Runs in a forked child (POSIX only) so that every configuration starts from the same
    process state: the child (one BLAS thread, warnings ignored, as in the table pass) fits
    once as a warm-up (one-time caches), collects garbage
    (which also empties Python's free lists), starts tracing and fits again; the result is
    the peak of traced memory over what was traced just before that fit. Python objects and
    numpy buffers are traced; compiled code's own ``malloc`` is not.
    """
    train = splits[0][0]
    X_train, y_train = X[train], y[train]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns
        code = 1
        try:
            os.close(read)
            # the same state whoever calls: one BLAS thread, every warning ignored
            warnings.simplefilter("ignore")
            with threadpool_limits(1):
                make_model(config, seed_of_split[0]).fit(X_train, y_train)
                model = make_model(config, seed_of_split[0])
                gc.collect()
                tracemalloc.start()
                base = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                model.fit(X_train, y_train)
                peak = tracemalloc.get_traced_memory()[1] - base
            os.write(write, str(peak).encode())
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write)
    data = b""
    while chunk := os.read(read, 64):
        data += chunk
    os.close(read)
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        raise RuntimeError(f"memory measurement of {config} failed in the child process (status {status})")
    return int(data)


def _replace_table(text: str, table: str, lines: list[str]) -> str:
    """``text`` (a meta.toml) with its ``[table]`` replaced by (or appended as) ``lines``."""
    out, skipping = [], False
    for line in text.splitlines():
        if line.strip() == f"[{table}]":
            skipping = True
            continue
        if skipping and line.startswith("["):
            skipping = False
        if not skipping:
            out.append(line)
    while out and not out[-1].strip():
        out.pop()
    new = "\n".join(out + ["", f"[{table}]"] + lines) + "\n"
    old_data, new_data = tomllib.loads(text), tomllib.loads(new)
    old_data.pop(table, None)
    new_data.pop(table, None)
    if old_data != new_data:  # pragma: no cover - a guard against editing the wrong keys
        raise RuntimeError(f"rewriting [{table}] would change other keys of meta.toml")
    return new


def build_grid(out_dir, *, axes, default, make_model, loss, X, y, splits, replicate_of_split,
               seed_of_split, meta, conditions=None, memory_only=False):
    """Evaluate the full grid and write ``table.csv``, ``meta.toml`` and ``memory.csv`` into ``out_dir``.

    ``axes``: list of ``(name, kind, levels)`` with kind ``ordinal`` (numbers) or
    ``categorical`` (strings). ``make_model(config, seed)`` returns an unfitted estimator;
    ``loss(model, X_test, y_test)`` the value to minimise on one split. ``conditions``
    (optional): ``{child: (parent, values)}``, written to meta.toml's ``[conditions]``.
    ``memory_only``: run only the memory pass (:func:`measure_memory`).
    """
    out_dir = Path(out_dir)
    recipe = dict(axes=axes, default=default, make_model=make_model, X=X, y=y, splits=list(splits),
                  seed_of_split=seed_of_split, conditions=conditions)
    warnings.filterwarnings("ignore", module="sklearn")  # convergence warnings are part of the surface
    if not memory_only:
        _build_table(out_dir, loss=loss, replicate_of_split=replicate_of_split, meta=meta, **recipe)
    measure_memory(out_dir, **recipe)


def _distinct(axes, default, conditions):
    """Configurations in table order, their distinct active configurations (first appearance
    order) and, per configuration, the index of its active one."""
    names = [a[0] for a in axes]
    configs = configurations(axes)
    keys, which = {}, []
    for values in configs:
        key = tuple(active_config(dict(zip(names, values)), conditions, default).values())
        which.append(keys.setdefault(key, len(keys)))
    return configs, list(keys), np.array(which)


def _build_table(out_dir, *, axes, default, make_model, loss, X, y, splits, replicate_of_split,
                 seed_of_split, meta, conditions):
    names = [a[0] for a in axes]
    rep_of = np.asarray(replicate_of_split)
    n_rep = int(rep_of.max()) + 1
    configs, distinct, which = _distinct(axes, default, conditions)
    results = [None] * len(distinct)
    start = time.time()
    # a fixed random order, so any drift of the machine during the run is noise, not an axis effect
    order = np.random.default_rng(0).permutation(len(distinct))
    with threadpool_limits(1):
        for done, c in enumerate(order):
            results[c] = evaluate(dict(zip(names, distinct[c])), make_model=make_model, loss=loss,
                                  X=X, y=y, splits=splits, replicate_of_split=rep_of,
                                  seed_of_split=seed_of_split)
            if (done + 1) % max(1, len(distinct) // 10) == 0:
                print(f"{done + 1}/{len(distinct)} configurations, {time.time() - start:.0f} s",
                      file=sys.stderr, flush=True)
    rows = []
    for values, c in zip(configs, which):
        losses, seconds = results[c]
        rows.append([_cell(v) for v in values]
                    + [f"{losses.mean():.10g}"] + [f"{v:.10g}" for v in losses]
                    + [f"{seconds.mean():.4g}"] + [f"{v:.4g}" for v in seconds])
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
    if conditions:
        meta.update(n_evaluated=len(distinct))
    for key, value in meta.items():
        lines.append(f"{key} = {_toml_value(value)}")
    lines.append("\n[default]")
    for key in names:
        lines.append(f"{key} = {_toml_value(default[key])}")
    if conditions:
        lines.append("\n[conditions]")
        for child, (parent, values) in conditions.items():
            lines.append(f"{child} = {{ parent = {_toml_value(parent)}, values = {_toml_value(list(values))} }}")
    for name, kind, levels in axes:
        lines.append("\n[[axes]]")
        lines.append(f"name = {_toml_value(name)}")
        lines.append(f"kind = {_toml_value(kind)}")
        lines.append(f"levels = {_toml_value(list(levels))}")
    (out_dir / "meta.toml").write_text("\n".join(lines) + "\n")
    print(f"wrote {out_dir / 'table.csv'} ({len(configs)} configurations, {len(distinct)} evaluated) "
          f"in {build_seconds:.0f} s", file=sys.stderr)


def measure_memory(out_dir, *, axes, default, make_model, X, y, splits, seed_of_split,
                   conditions=None):
    """Write ``memory.csv`` (axis columns and ``peak_mib``, one row per configuration in table
    order) and the ``[memory]`` table of ``meta.toml``, which must exist; nothing else changes."""
    out_dir = Path(out_dir)
    names = [a[0] for a in axes]
    configs, distinct, which = _distinct(axes, default, conditions)
    peaks = []
    start = time.time()
    for done, values in enumerate(distinct):
        peaks.append(peak_fit_bytes(dict(zip(names, values)), make_model=make_model, X=X, y=y,
                                    splits=splits, seed_of_split=seed_of_split))
        if (done + 1) % max(1, len(distinct) // 10) == 0:
            print(f"memory {done + 1}/{len(distinct)} configurations, {time.time() - start:.0f} s",
                  file=sys.stderr, flush=True)
    with open(out_dir / "memory.csv", "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(names + ["peak_mib"])
        for values, c in zip(configs, which):
            writer.writerow([_cell(v) for v in values] + [format_mib(peaks[c])])
    build_seconds = time.time() - start
    memory = dict(
        file="memory.csv",
        measures=MEMORY_NOTE,
        not_seen=MEMORY_BLIND,
        determinism=MEMORY_DETERMINISM,
        unit="MiB (2**20 bytes), 6 decimals",
        split="first split of the recipe (training part)",
        n_measured=len(distinct),
        build_time=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        build_seconds=round(build_seconds, 1),
        python_version=platform.python_version(),
        numpy_version=np.__version__,
        sklearn_version=sklearn.__version__,
    )
    meta_path = out_dir / "meta.toml"
    lines = [f"{key} = {_toml_value(value)}" for key, value in memory.items()]
    meta_path.write_text(_replace_table(meta_path.read_text(), "memory", lines))
    print(f"wrote {out_dir / 'memory.csv'} ({len(distinct)} fits measured) in {build_seconds:.0f} s",
          file=sys.stderr)


def format_mib(n_bytes: int) -> str:
    """The memory.csv text of a byte count: MiB with 6 decimals (about one byte)."""
    return f"{n_bytes / MIB:.6f}"


def run(recipe, argv=None):
    """Command line of every recipe: ``recipe()`` returns :func:`build_grid`'s keyword arguments."""
    parser = argparse.ArgumentParser(description="Build this grid (table.csv, meta.toml, memory.csv).")
    parser.add_argument("--memory", action="store_true",
                        help="run only the memory pass: rewrite memory.csv and the [memory] table "
                             "of meta.toml, leave table.csv and the other keys untouched")
    args = parser.parse_args(argv)
    build_grid(**recipe(), memory_only=args.memory)
