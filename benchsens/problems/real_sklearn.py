"""Our own real grids (folders of ``benchsens.grids``), built from scikit-learn's bundled data.

Each folder holds ``meta.toml``, ``table.csv`` and (optionally) ``memory.csv`` written by its
``recipe.py``. A folder is registered as ``<folder>`` (the loss), ``<folder>.time`` (fit seconds)
and ``<folder>.log_time`` (log10 fit seconds, the cost objective to analyse), unless its
meta.toml sets ``time_surface = false`` because the fits are too short to time, and
``<folder>.memory`` when it has ``memory.csv``; each reaches the others and the Pareto
indicators of (loss, log10 seconds) with ``problem.with_objective(name)``. Tables are parsed
with the csv module and numpy (no pandas) on first use and cached.
"""
from __future__ import annotations

import csv
import functools
import sys
from importlib.resources import files

import numpy as np

from ..registry import register_problem
from ..space import Categorical, Ordinal, Space
from .real_grid import GridProblem, grid_truth, objective_name, objective_problem, objective_tables

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GRIDS = files("benchsens.grids")


def grid_names() -> list[str]:
    """Folders of ``benchsens.grids`` that hold a surface."""
    return sorted(p.name for p in GRIDS.iterdir() if p.is_dir() and (p / "meta.toml").is_file())


@functools.lru_cache(maxsize=None)
def read_meta(name: str) -> dict:
    return tomllib.loads((GRIDS / name / "meta.toml").read_text())


def _space(meta) -> Space:
    params = {}
    for axis in meta["axes"]:
        if axis["kind"] == "ordinal":
            params[axis["name"]] = Ordinal(axis["levels"])
        elif axis["kind"] == "categorical":
            params[axis["name"]] = Categorical(axis["levels"])
        else:
            raise ValueError(f"grid {meta['name']!r}: axis {axis['name']!r} has unknown kind {axis['kind']!r}")
    if not meta.get("conditions"):
        return Space(params)
    where = f"grid {meta['name']!r} (meta.toml [conditions])"
    conditions = {}
    for child, cond in meta["conditions"].items():
        if not isinstance(cond, dict) or set(cond) != {"parent", "values"}:
            raise ValueError(f"{where}: {child} must be {{ parent = ..., values = [...] }}, got {cond!r}")
        conditions[child] = (cond["parent"], cond["values"])
    try:  # names and values are checked by Space, which knows the levels
        return Space(params, default=_default_values(meta, params), conditions=conditions)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _default_values(meta, params) -> dict:
    """meta.toml's ``[default]`` in a Space's natural units (a categorical's choice index),
    so a conditional grid's inactive values are fixed at the recorded default."""
    out = {}
    for name, dist in params.items():
        value = meta["default"].get(name)
        if isinstance(dist, Categorical):
            if value not in dist.choices:
                raise ValueError(f"grid {meta['name']!r} (meta.toml): default {name}={value!r} is not one of {list(dist.choices)}")
            value = dist.choices.index(value)
        out[name] = value
    return out


def _read_table(name: str, filename: str, space: Space):
    """``(header, body, flat positions)`` of a per-configuration CSV of one grid, checked to
    hold every configuration of the full grid exactly once."""
    shape = tuple(d.levels.size for d in space.dists)
    rows = list(csv.reader((GRIDS / name / filename).read_text().splitlines()))
    header, body = rows[0], np.array(rows[1:], dtype=object)
    where = f"grid {name!r} ({filename})"
    idx = []
    for axis_name, dist in space.items():
        if axis_name not in header:
            raise ValueError(f"{where}: no column {axis_name!r}")
        column = body[:, header.index(axis_name)]
        if isinstance(dist, Categorical):
            lookup = {c: k for k, c in enumerate(dist.choices)}
            pos = np.array([lookup.get(v, -1) for v in column])
        else:
            pos = dist.index(column.astype(float))
        if np.any(pos < 0):
            raise ValueError(f"{where}: {axis_name}={column[np.argmin(pos)]!r} is not a level in meta.toml")
        idx.append(pos)
    flat = np.ravel_multi_index(tuple(idx), shape)
    if flat.size != int(np.prod(shape)) or np.unique(flat).size != flat.size:
        raise ValueError(f"{where}: {flat.size} rows ({np.unique(flat).size} distinct) for a "
                         f"full grid of {int(np.prod(shape))} configurations")
    return header, body, flat


def _tensor(header, body, flat, shape, columns):
    out = np.empty((flat.size, len(columns)))
    out[flat] = body[:, [header.index(c) for c in columns]].astype(float)
    out = out.reshape(shape + (len(columns),))
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=None)
def load_grid(name: str):
    """``(space, loss, seconds, default_index, meta)`` of one of our grids; ``loss`` and
    ``seconds`` have shape ``(*levels, replicates)`` and are read-only."""
    meta = read_meta(name)
    space = _space(meta)
    shape = tuple(d.levels.size for d in space.dists)
    header, body, flat = _read_table(name, "table.csv", space)

    def tensor(prefix):
        return _tensor(header, body, flat, shape, [h for h in header if h.startswith(prefix + "_r")])

    default = tuple(int(space[n].index(np.array([v], float))[0]) if not isinstance(space[n], Categorical)
                    else space[n].choices.index(v) for n, v in meta["default"].items())
    if min(default) < 0:
        raise ValueError(f"grid {name!r} (table.csv): meta.toml default {meta['default']} is not on the grid")
    return space, tensor("loss"), tensor("fit_seconds"), default, meta


@functools.lru_cache(maxsize=None)
def load_memory(name: str):
    """Peak traced memory of one fit per configuration (MiB), shape ``(*levels, 1)``,
    read-only; None when the grid has no ``memory.csv``."""
    if not (GRIDS / name / "memory.csv").is_file():
        return None
    space = load_grid(name)[0]
    header, body, flat = _read_table(name, "memory.csv", space)
    where = f"grid {name!r} (memory.csv)"
    if "peak_mib" not in header:
        raise ValueError(f"{where}: no column 'peak_mib'")
    for text in body[:, header.index("peak_mib")]:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{where}: peak_mib={text!r} is not a finite number >= 0")
    return _tensor(header, body, flat, tuple(d.levels.size for d in space.dists), ["peak_mib"])


@functools.lru_cache(maxsize=None)
def objectives(name: str) -> dict:
    """:func:`~benchsens.problems.real_grid.objective_tables` of one grid: loss, and with
    recorded seconds (``time_surface``) time, log_time and the Pareto indicators; memory
    where recorded and not constant."""
    _, loss, seconds, _, meta = load_grid(name)
    return objective_tables(loss, seconds if meta.get("time_surface", True) else None, load_memory(name))


@functools.lru_cache(maxsize=None)
def _truth(name: str, objective: str):
    space, _, _, default, meta = load_grid(name)
    table, what = objectives(name)[objective]
    what = meta["metric"] if objective == "loss" else what
    source = (
        f"exact discrete functional ANOVA (benchsens.anova.grid_anova, uniform level weights) of "
        f"{what}, mean over {table.shape[-1]} replicates ({meta['replicate']}; {meta['cv']}), "
        f"of {meta['model']} on {meta['dataset']}, all {meta['n_configurations']} configurations; "
        f"table built by problems/{name}/recipe.py with scikit-learn {meta['sklearn_version']} "
        f"on {meta['build_time']}. Default: {meta['default_note']}"
    )
    return grid_truth(space, table, default, source)


#: Objectives registered as problems of their own (``<grid>.<objective>``; the loss is
#: ``<grid>``); the Pareto indicators are reached with ``with_objective``.
REGISTERED = ("loss", "time", "log_time", "memory")


def _make_factory(name: str, objective: str, tags):
    def factory() -> GridProblem:
        space, _, seconds, _, _ = load_grid(name)
        return objective_problem(name, objective, space, objectives(name),
                                 functools.partial(_truth, name), seconds, tags)

    factory.__doc__ = (f"{name}: {objective} on our full scikit-learn grid (exact truth); other "
                       "objectives via with_objective.")
    return factory


def _memory_varies(name: str) -> bool:
    """Whether ``memory.csv`` records memory that differs between configurations, read
    cheaply at import (without the grid); a file this cannot read counts as varying, so
    building the surface reports the problem with :func:`load_memory`'s one-line error."""
    path = GRIDS / name / "memory.csv"
    if not path.is_file():
        return False
    rows = list(csv.reader(path.read_text().splitlines()))
    try:
        column = rows[0].index("peak_mib")
        return len({float(row[column]) for row in rows[1:]}) > 1
    except (IndexError, ValueError):
        return True


def _register_all():
    for name in grid_names():
        meta = read_meta(name)
        available = {"loss": True, "time": meta.get("time_surface", True),
                     "log_time": meta.get("time_surface", True), "memory": _memory_varies(name)}
        tags = ("real", "grid", "sklearn", f"d={len(meta['axes'])}")
        for objective in REGISTERED:
            if available[objective]:
                register_problem(objective_name(name, objective), tags=tags + (objective,))(
                    _make_factory(name, objective, tags))


_register_all()
