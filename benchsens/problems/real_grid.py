"""Full-factorial tables as problems, with exact ground truth by discrete functional ANOVA.

A grid problem looks configurations up in a table that holds, for every combination of its
axes' levels, the value of each replicate (seed or fold) of a real training run. Because every
configuration was evaluated, the functional ANOVA of the table under the Space's level weights
is the exact ground truth (no surrogate, no sampling error). ``evaluate`` returns the
replicate mean by default; ``noise="replicate"`` returns one replicate drawn by the evaluation
stream, so estimators face the real evaluation noise.
"""
from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..anova import grid_anova
from ..pareto import DEFAULT_EPS, front_distance, pareto_front
from ..problem import GroundTruth, Problem
from ..space import Space

__all__ = ["GridProblem", "grid_truth", "level_indices", "load_pickle_restricted",
           "LOCAL_GAMMAS", "objective_tables", "objective_name", "objective_problem", "COST_FLOOR"]

#: Shares of best configurations whose regions define ``truth.extras["local"]`` (one entry
#: per gamma, keyed by it: ``scoring.ranked_truth(truth, "local", gamma)``).
LOCAL_GAMMAS = (0.1, 0.25)


class _DataOnlyUnpickler(pickle.Unpickler):
    """Unpickler that refuses every global (class, function), so a pickle can only build
    plain containers, strings and numbers and can never run code."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(
            f"refusing to load global {module}.{name}: benchmark tables may hold only dicts, "
            "lists, strings and numbers (the file may have been tampered with)"
        )


def load_pickle_restricted(path) -> object:
    """Decode a pickle file that may only contain built-in data (no globals at all)."""
    with open(path, "rb") as fh:
        try:
            return _DataOnlyUnpickler(fh).load()
        except pickle.UnpicklingError as exc:
            raise pickle.UnpicklingError(f"{path}: {exc}") from None


def level_indices(space: Space, X: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-axis level positions of the rows of ``X``; a clear error for any off-grid value."""
    idx = []
    for j, (name, dist) in enumerate(space.items()):
        pos = dist.index(X[:, j])
        if np.any(pos < 0):
            i = int(np.argmin(pos))
            raise ValueError(
                f"X[{i}, {j}] = {float(X[i, j])!r} is not a grid level of parameter {name!r} "
                f"(levels: {dist.levels.tolist()}); a grid problem is defined only on its grid "
                "(map unit designs with space.from_unit)"
            )
        idx.append(pos)
    return tuple(idx)


#: Recorded seconds below this are clipped before log10 (none of the shipped tables has one:
#: their smallest time is 0.6 ms), so a zero timer reading cannot give -inf.
COST_FLOOR = 1e-4


def objective_tables(loss: np.ndarray, seconds: np.ndarray | None = None,
                     memory: np.ndarray | None = None, eps: float = DEFAULT_EPS) -> dict:
    """The objectives of a grid, ``{name: (table (*levels, replicates), description)}``.

    ``loss`` always; with recorded ``seconds``: ``time`` (raw seconds: extremely heavy-tailed
    on some tables, so one outlier can own its variance), ``log_time`` (log10 seconds per
    replicate: the default cost objective for importance), ``pareto`` (1 off the Pareto front
    of (mean loss, mean log10 seconds), 0 on it) and ``pareto_eps`` (1 when farther than
    ``eps`` from that front, in units of each objective's range over the grid:
    :func:`benchsens.pareto.front_distance`); with ``memory``: ``memory`` (peak MiB).
    """
    out = {"loss": (loss, "the loss")}
    if seconds is not None:
        log_time = np.log10(np.maximum(seconds, COST_FLOOR))
        out["time"] = (seconds, "recorded training seconds")
        out["log_time"] = (log_time, f"log10 of recorded training seconds (clipped below at {COST_FLOOR} s)")
        F = np.column_stack([np.nanmean(loss, axis=-1).ravel(), np.nanmean(log_time, axis=-1).ravel()])
        front = pareto_front(F)
        distance = front_distance(F, front)
        shape = loss.shape[:-1] + (1,)
        out["pareto"] = ((~front).astype(float).reshape(shape),
                         f"indicator 1 off / 0 on the Pareto front of (mean loss, mean log10 seconds); "
                         f"{int(front.sum())} of {front.size} configurations on the front")
        out["pareto_eps"] = ((distance > eps).astype(float).reshape(shape),
                             f"indicator 1 farther than eps={eps} from the Pareto front of (mean loss, "
                             "mean log10 seconds), additive epsilon-indicator on objectives rescaled by "
                             f"their range over the grid; {int(np.sum(distance <= eps))} of "
                             f"{front.size} configurations within eps")
    if memory is not None:
        out["memory"] = (memory, "peak traced memory of one fit (MiB, tracemalloc)")
    # a constant table (e.g. every KNN fit traces the same memory) has no variance to decompose
    out = {name: entry for name, entry in out.items()
           if name == "loss" or np.ptp(np.nanmean(entry[0], axis=-1)) > 0}
    for table, _ in out.values():
        table.flags.writeable = False
    return out


def objective_name(base: str, objective: str) -> str:
    """The registered name of a grid's objective: ``base`` for the loss, else ``base.objective``."""
    return base if objective == "loss" else f"{base}.{objective}"


def objective_problem(base: str, objective: str, space: Space, tables: Mapping,
                      truth: Callable[[str], GroundTruth], seconds: np.ndarray | None,
                      tags: Sequence[str]) -> "GridProblem":
    """The :class:`GridProblem` of ``objective`` of grid ``base``, from its
    :func:`objective_tables`, reaching every other objective lazily with ``with_objective``.
    ``truth(objective)`` is an objective's (cached) truth; ``tags`` the grid's, to which the
    objective's name is appended."""
    others = {o: functools.partial(objective_problem, base, o, space, tables, truth, seconds, tags)
              for o in tables if o != objective}
    return GridProblem(objective_name(base, objective), space, tables[objective][0], truth(objective),
                       seconds=seconds, tags=tuple(tags) + (objective,), objective=objective,
                       objectives=others)


def _weighted_quantile(values, mass, q):
    """Smallest value whose cumulative probability mass reaches ``q``."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(mass[order])
    return float(values[order][np.searchsorted(cum, q * cum[-1] - 1e-12)])


def _ablation(mean, default, best, names):
    """Greedy path from ``default`` to ``best``: at each step flip the parameter whose
    best-configuration level lowers the loss most (Fawcett & Hoos 2016)."""
    current = list(default)
    todo = [j for j in range(len(names)) if default[j] != best[j]]
    order, gains = [], []
    while todo:
        trial = []
        for j in todo:
            cand = list(current)
            cand[j] = best[j]
            trial.append(mean[tuple(cand)])
        k = int(np.argmin(trial))
        j = todo.pop(k)
        gains.append(float(mean[tuple(current)] - trial[k]))
        order.append(names[j])
        current[j] = best[j]
    return order, gains


def grid_truth(space: Space, replicates: np.ndarray, default: Sequence[int], source: str,
               gammas: Sequence[float] = LOCAL_GAMMAS) -> GroundTruth:
    """Exact truth of a table ``replicates[i1, ..., id, r]`` (NaN = missing replicate).

    S1, ST, S2: :func:`grid_anova` of the replicate mean under the Space's level weights.
    ``extras``: ``marginal`` (per parameter, loss decrease from the default configuration
    when only that parameter is tuned), ``ablation`` (greedy path from the default to the
    best configuration: order and gains), ``local`` (for each ``gamma`` in ``gammas``, keyed
    by it: Sobol' indices of the indicator of the best-``gamma`` configurations, i.e. what
    each parameter does to landing in the top region, the quantity PED-ANOVA estimates;
    absent for a ``gamma`` whose region is the whole grid, as for 0/1 indicator objectives),
    ``noise_to_signal`` (weighted mean over the
    grid of the variance of one replicate, ddof=1, over the grid variance of the mean).
    """
    names = space.names
    weights = [dist.weights for dist in space.dists]
    mean = np.nanmean(replicates, axis=-1)
    anova = grid_anova(mean, weights)
    mass = weights[0]
    for w in weights[1:]:
        mass = np.multiply.outer(mass, w)

    default = tuple(int(i) for i in default)
    f0 = float(mean[default])
    marginal = []
    for j in range(len(names)):
        line = mean[default[:j] + (slice(None),) + default[j + 1:]]
        marginal.append(f0 - float(line.min()))
    best = np.unravel_index(int(np.argmin(mean)), mean.shape)
    order, gains = _ablation(mean, default, best, names)

    local = {}
    for gamma in gammas:
        threshold = _weighted_quantile(mean.ravel(), mass.ravel(), gamma)
        top = (mean <= threshold).astype(float)
        if top.min() == top.max():  # e.g. an indicator objective: no top region to explain
            continue
        anova_top = grid_anova(top, weights, second=False)
        local[float(gamma)] = {"gamma": float(gamma), "threshold": threshold, "mass": float(np.sum(top * mass)),
                               "first": anova_top.first.tolist(), "total": anova_top.total.tolist()}

    n_rep = np.sum(~np.isnan(replicates), axis=-1)
    rep_var = np.nanvar(replicates, axis=-1, ddof=1) if n_rep.min() >= 2 else None
    noise_to_signal = (float(np.sum(rep_var * mass)) / anova.variance) if rep_var is not None else None

    def level(j, i):
        dist = space.dists[j]
        return dist.choices[i] if hasattr(dist, "choices") else float(dist.levels[i])

    extras = {
        "mean": anova.mean,
        "variance": anova.variance,
        "default": {n: level(j, default[j]) for j, n in enumerate(names)},
        "default_value": f0,
        "best": {n: level(j, int(best[j])) for j, n in enumerate(names)},
        "best_value": float(mean[best]),
        "marginal": marginal,
        "ablation": {"order": order, "gains": gains,
                     "gain_by_parameter": [gains[order.index(n)] if n in order else 0.0 for n in names]},
        "local": local,
        "noise_to_signal": noise_to_signal,
        "n_replicates": int(n_rep.max()),
    }
    return GroundTruth(first=anova.first, total=anova.total, second=anova.second, kind="exact", source=source,
                       extras=extras)


class GridProblem(Problem):
    """A problem tabulated on the full grid of its Space (Ordinal/Categorical axes only).

    ``replicates`` has shape ``(*levels, r)`` (NaN marks a missing replicate); ``seconds``
    (same layout or None) gives ``cost(X)`` as the mean recorded training seconds.
    ``noise`` is 0 (replicate mean), a float (Gaussian noise, as for any Problem) or
    ``"replicate"`` (one recorded replicate, chosen by the ``rng`` passed to evaluate).
    A space without a ``default`` gets the truth's ``extras["default"]`` (the recorded
    default configuration), so tuning-from-the-default estimators start where the truth does.
    """

    def __init__(self, name: str, space: Space, replicates: np.ndarray, truth: GroundTruth | None,
                 seconds: np.ndarray | None = None, tags=(), noise: float | str = 0.0,
                 params: Mapping | None = None, objective: str | None = None,
                 objectives: Mapping | None = None):
        if not all(d.discrete for d in space.dists):
            raise ValueError(f"GridProblem {name!r}: every parameter must be Ordinal or Categorical")
        if space.default is None and truth is not None and "default" in truth.extras:
            default = truth.extras["default"]
            space = space.with_default({
                n: dist.choices.index(default[n]) if hasattr(dist, "choices") else default[n]
                for n, dist in space.items()})
        shape = tuple(d.levels.size for d in space.dists)
        replicates = np.asarray(replicates, float)
        if replicates.shape[:-1] != shape or replicates.ndim != len(shape) + 1:
            raise ValueError(f"GridProblem {name!r}: table shape {replicates.shape} does not match "
                             f"the grid {shape} + (replicates,)")
        self.replicates = replicates
        self.n_replicates = np.sum(~np.isnan(replicates), axis=-1)
        if self.n_replicates.min() < 1:
            raise ValueError(f"GridProblem {name!r}: some configurations have no value")
        self.table = np.nanmean(replicates, axis=-1)
        self.seconds = seconds
        self._seconds_mean = None if seconds is None else np.nanmean(seconds, axis=-1)
        replicate = isinstance(noise, str)
        if replicate and noise != "replicate":
            raise ValueError(f"GridProblem {name!r}: noise must be a number >= 0 or 'replicate', "
                             f"got {noise!r}")
        if replicate and replicates.shape[-1] < 2:
            raise ValueError(f"GridProblem {name!r} records one value per configuration: "
                             "noise='replicate' would add no noise")
        cost = None if seconds is None else (lambda X: self._seconds_mean[level_indices(space, X)])
        super().__init__(name, space, lambda X: self.table[level_indices(space, X)], truth,
                         cost=cost, tags=tags, noise=0.0 if replicate else noise, params=params,
                         objective=objective, objectives=objectives)
        if replicate:
            self.noise = "replicate"

    def with_noise(self, noise) -> "GridProblem":
        """A copy with another noise level: a float, or ``"replicate"``."""
        new = GridProblem(self.name, self.space, self.replicates, self.truth, self.seconds,
                          self.tags, noise, self.params, self.objective, self._objectives)
        new._output_std = self._output_std
        return new

    def evaluate(self, X, rng: np.random.Generator | None = None) -> np.ndarray:
        """Values at grid points ``X``: replicate means, or one replicate with noise='replicate'."""
        X = self.space._check_matrix(X, "X")
        idx = level_indices(self.space, X)  # off-grid points get an error naming the level
        if self.noise != "replicate":
            return super().evaluate(X, rng)
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"Problem {self.name!r} has noise='replicate': pass "
                             "rng=numpy.random.Generator to choose the replicates")
        counts = self.n_replicates[idx]
        # position among the recorded replicates of each configuration (NaN pads come last)
        pick = np.minimum((rng.random(X.shape[0]) * counts).astype(int), counts - 1)
        return self.replicates[idx + (pick,)]
