"""What tuning from the default gains, estimated on a forest surrogate of the given points.

Both estimators fit a random forest (or extra-trees) on the unit design
(``Design.unit_at_levels``, as ``fanova``) and query it at configurations built from the
default (``Space.default_point``: the space's ``default``, which real grids set to their
recorded default):

* ``marginal``: the gain of tuning each input alone, ``f(default) - min_v f(default with
  x_j = v)``, ``v`` over the input's levels (a fine grid of ``n_grid`` unit-cell midpoints
  for a continuous input), as in the "tunability" of Probst, Boulesteix & Bischl (JMLR 2019);
* ``ablation``: the greedy path from the default to the best given point (the incumbent):
  at each step flip the input whose incumbent value lowers the surrogate most (Fawcett &
  Hoos, J. Heuristics 2016, with a surrogate as Biedenkapp et al., AAAI 2017).

Outputs are losses (lower is better), as in the grid truths they are scored against.
"""
from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

from ..registry import register_estimator
from ._params import Interval, StrOptions
from .base import Design, Estimate
from .forest import FOREST_CONSTRAINTS, SeededGivenData

__all__ = ["Marginal", "Ablation"]

_FORESTS = {"random_forest": RandomForestRegressor, "extra_trees": ExtraTreesRegressor}


class _Surrogate(SeededGivenData):
    """A forest surrogate on the unit design and the default in unit coordinates."""

    _parameter_constraints = {"forest": [StrOptions(set(_FORESTS))], **FOREST_CONSTRAINTS}

    def _fit(self, design: Design, y: np.ndarray):
        model = _FORESTS[self.forest](n_estimators=self.n_trees, max_depth=self.max_depth,
                                      min_samples_leaf=self.min_samples_leaf,
                                      random_state=self._random_state(design))
        model.fit(design.unit_at_levels(), y)
        u0 = design.space.to_unit(design.space.default_point()[None, :])[0]
        return model, u0


@register_estimator
class Marginal(_Surrogate):
    """Gain of tuning each input alone from the default, on a forest surrogate.

    ``target = "marginal"``: ``importance[j] = f(default) - min over x_j of f(default with
    x_j)`` (never negative: the default itself is a candidate), in the output's units, the
    quantity of the truth's ``extras["marginal"]``. Discrete inputs try all their levels,
    continuous ones ``n_grid`` equally spaced unit-cell midpoints; all candidates are
    predicted in one call. ``extras``: ``default_value`` (the surrogate at the default),
    ``best_value`` (per input, the surrogate's minimum along its line), ``argmin`` (per
    input, the value reaching it, natural units).

    Options: those of ``fanova``'s forest (``forest``, ``n_trees``, ``max_depth``,
    ``min_samples_leaf``, ``seed`` for designs not planned here), ``n_grid``.

    Limitations
    -----------
    The default is rarely among the given points: the surrogate extrapolates there, and a
    forest is flat outside the data, so sparse data near the default shrinks the gains.
    A continuous input is searched on a grid only. One-at-a-time: what tuning two inputs
    together gains is not seen.
    """

    name = "marginal"
    target = "marginal"
    _parameter_constraints = {**_Surrogate._parameter_constraints,
                              "n_grid": [Interval(Integral, 2, None, closed="left")]}

    def __init__(self, *, n_trees: int = 100, max_depth: int | None = None, min_samples_leaf: int = 1,
                 forest: str = "random_forest", n_grid: int = 64, seed: int = 0):
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.forest = forest
        self.n_grid = n_grid
        self.seed = seed

    def _analyze(self, design: Design, y: np.ndarray, gradient) -> Estimate:
        model, u0 = self._fit(design, y)
        space = design.space
        lines = []  # unit values tried for each input
        for dist in space.dists:
            if dist.discrete:
                lines.append(dist.to_unit(dist.levels))
            else:
                lines.append((np.arange(self.n_grid) + 0.5) / self.n_grid)
        sizes = np.array([line.size for line in lines])
        rows = np.repeat(u0[None, :], sizes.sum() + 1, axis=0)  # the last row is the default
        which = np.repeat(np.arange(len(space)), sizes)
        rows[np.arange(which.size), which] = np.concatenate(lines)
        pred = model.predict(rows)
        f0 = pred[-1]
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        line_min = np.minimum.reduceat(pred[:-1], starts)
        at = np.array([int(np.argmin(pred[s:s + k])) for s, k in zip(starts, sizes)])
        argmin = space.from_unit(np.array([[line[a] for line, a in zip(lines, at)]]))[0]
        gains = f0 - np.minimum(line_min, f0)
        return Estimate(space.names, gains, extras={"default_value": float(f0), "best_value": line_min,
                                                     "argmin": argmin})


@register_estimator
class Ablation(_Surrogate):
    """Greedy ablation path from the default to the best given point, on a forest surrogate.

    ``target = "ablation"``: ``importance[j]`` is the surrogate's loss decrease when input
    ``j`` is flipped to the incumbent's value on the path (negative gains count as 0 in
    ``importance``), the quantity of the truth's ``extras["ablation"]["gain_by_parameter"]``.
    The incumbent is the given point with the lowest output. At each step every input not
    yet flipped is tried (one predict call per step) and the one lowering the surrogate most
    is flipped. ``extras``: ``order`` (names, in flip order; inputs where default and
    incumbent agree are left out), ``gains`` (the signed gain of each step),
    ``gain_by_parameter``, ``default_value`` and ``incumbent_value`` (surrogate), ``incumbent``
    (the incumbent's values, natural units).

    Options: those of ``fanova``'s forest (``forest``, ``n_trees``, ``max_depth``,
    ``min_samples_leaf``, ``seed`` for designs not planned here).

    Limitations
    -----------
    Path-dependent: an input's gain depends on what was flipped before (interactions), so
    it answers "what mattered on the way to this incumbent", not a global importance. The
    incumbent is the best *observed* point, which with noise or few points is not the best
    configuration; the surrogate extrapolates along the path.
    """

    name = "ablation"
    target = "ablation"

    def __init__(self, *, n_trees: int = 100, max_depth: int | None = None, min_samples_leaf: int = 1,
                 forest: str = "random_forest", seed: int = 0):
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.forest = forest
        self.seed = seed

    def _analyze(self, design: Design, y: np.ndarray, gradient) -> Estimate:
        model, current = self._fit(design, y)
        space = design.space
        best = int(np.argmin(y))
        target = design.unit_at_levels()[best]
        names = space.names
        todo = np.flatnonzero(space.default_point() != design.X[best])
        value = f0 = float(model.predict(current[None, :])[0])
        order, gains = [], []
        while todo.size:
            trial = np.repeat(current[None, :], todo.size, axis=0)
            trial[np.arange(todo.size), todo] = target[todo]
            pred = model.predict(trial)
            k = int(np.argmin(pred))
            gains.append(value - float(pred[k]))
            order.append(names[todo[k]])
            current, value = trial[k], float(pred[k])
            todo = np.delete(todo, k)
        by_parameter = np.zeros(len(names))
        by_parameter[[names.index(n) for n in order]] = gains
        return Estimate(names, np.maximum(by_parameter, 0.0),
                        extras={"order": order, "gains": gains, "gain_by_parameter": by_parameter,
                                "default_value": f0, "incumbent_value": value,
                                "incumbent": design.X[best].copy()})
