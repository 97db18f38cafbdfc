"""Our own real grids (folders of ``benchsens.grids``), built from scikit-learn's bundled data.

Each folder holds ``meta.toml`` and ``table.csv`` written by its ``recipe.py``. A folder is
registered as ``<folder>`` (the loss) and ``<folder>.time`` (fit seconds, unless its meta.toml
sets ``time_surface = false`` because the fits are too short to time); tables are parsed
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
from .real_grid import GridProblem, grid_truth

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
    return Space(params)


@functools.lru_cache(maxsize=None)
def load_grid(name: str):
    """``(space, loss, seconds, default_index, meta)`` of one of our grids; ``loss`` and
    ``seconds`` have shape ``(*levels, replicates)`` and are read-only."""
    meta = read_meta(name)
    space = _space(meta)
    shape = tuple(d.levels.size for d in space.dists)
    rows = list(csv.reader((GRIDS / name / "table.csv").read_text().splitlines()))
    header, body = rows[0], np.array(rows[1:], dtype=object)
    where = f"grid {name!r} (table.csv)"
    idx = []
    for axis_name, dist in space.items():
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

    def tensor(prefix):
        cols = [k for k, h in enumerate(header) if h.startswith(prefix + "_r")]
        out = np.empty((flat.size, len(cols)))
        out[flat] = body[:, cols].astype(float)
        out = out.reshape(shape + (len(cols),))
        out.flags.writeable = False
        return out

    default = tuple(int(space[n].index(np.array([v], float))[0]) if not isinstance(space[n], Categorical)
                    else space[n].choices.index(v) for n, v in meta["default"].items())
    if min(default) < 0:
        raise ValueError(f"{where}: meta.toml default {meta['default']} is not on the grid")
    return space, tensor("loss"), tensor("fit_seconds"), default, meta


@functools.lru_cache(maxsize=None)
def _truth(name: str, objective: str):
    space, loss, seconds, default, meta = load_grid(name)
    what = meta["metric"] if objective == "loss" else "fit seconds"
    source = (
        f"exact discrete functional ANOVA (benchsens.anova.grid_anova, uniform level weights) of "
        f"{what}, mean over {meta['n_replicates']} replicates ({meta['replicate']}; {meta['cv']}), "
        f"of {meta['model']} on {meta['dataset']}, all {meta['n_configurations']} configurations; "
        f"table built by problems/{name}/recipe.py with scikit-learn {meta['sklearn_version']} "
        f"on {meta['build_time']}. Default: {meta['default_note']}"
    )
    return grid_truth(space, loss if objective == "loss" else seconds, default, source)


def _make_factory(name: str, objective: str, registered: str, tags):
    def factory() -> GridProblem:
        space, loss, seconds, _, _ = load_grid(name)
        return GridProblem(registered, space, loss if objective == "loss" else seconds,
                           _truth(name, objective), seconds=seconds, tags=tags)

    factory.__doc__ = f"{name}: {'loss' if objective == 'loss' else 'fit seconds'} on our full scikit-learn grid (exact truth)."
    return factory


def _register_all():
    for name in grid_names():
        d = len(read_meta(name)["axes"])
        meta = read_meta(name)
        objectives = (("loss", ""), ("time", ".time")) if meta.get("time_surface", True) else (("loss", ""),)
        for objective, suffix in objectives:
            tags = ("real", "grid", "sklearn", f"d={d}", objective)
            register_problem(name + suffix, tags=tags)(_make_factory(name, objective, name + suffix, tags))


_register_all()
