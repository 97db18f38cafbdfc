"""Derivative-based global sensitivity measures (Sobol' & Kucherenko 2009).

``nu_i = E[(df/dx_i)^2]`` in natural units (``extras["nu"]``), from the exact gradient when
the caller passes one (``uses_gradient``), else from forward finite differences at ``n``
scrambled Sobol' base points: ``n * (d + 1)`` evaluations of the budget. Steps are taken in
the unit cube (``step``, backwards near 1) and divided by the natural step they produce.

``importance`` is a bound on the total index on one scale for every kind
(``V`` = output variance at the base points):

* Uniform, LogUniform: ``E[(d f(T(u)) / du_i)^2] / (pi^2 V)``, the Sobol'–Kucherenko bound
  ``ST_i <= nu_i (b - a)^2 / (pi^2 V)`` applied to ``f`` composed with the input's
  unit-interval map ``T`` (Sobol' indices do not change under that reparametrisation; for
  Uniform it *is* ``nu_i (b - a)^2 / (pi^2 V)``).
* Normal: ``std^2 nu_i / V``, the Gaussian Poincaré bound (Lamboni et al. 2013, Math.
  Comput. Simul. 87:45).
* discrete kinds: the difference to the next level (the last level steps back), as
  ``(delta f / delta u)^2 / (pi^2 V)`` with ``delta u`` the distance between the levels'
  unit cells, i.e. the same formula as a uniform input. A heuristic on the same scale,
  not a proven bound; for Categorical the "next" code is arbitrary. Discrete inputs always
  use finite differences (an exact gradient has no meaning there).

``extras``: ``nu`` (natural units; per unit of level value for discrete inputs),
``nu_unit`` (unit cube; NaN for Normal, whose unit-map derivative is unbounded),
``st_upper_bound`` (the proven bounds on ST; NaN for discrete inputs). ``first``/``total``
are not given: a bound is not an estimate of ST.

Gradients are charged (``Estimator.plan``): with an exact gradient costing ``c``
evaluations, ``n`` base points need ``n (1 + c)`` evaluations (``c = d`` by default, the
price of the finite differences it replaces). ``dgsm.oracle`` receives exact gradients
for free, as a reference for what the measure can do with perfect derivatives.
"""
from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from scipy.stats import qmc

from ..registry import register_estimator
from ..space import LogUniform, Normal, Uniform
from ._params import Interval
from .base import Design, Estimate, Estimator

#: Smallest number of base points (a variance needs a few).
_MIN_BASE = 4


def _dx_du(dist, x):
    """Derivative of a continuous input's unit map at natural values ``x``."""
    if isinstance(dist, Uniform):
        return np.full_like(x, dist.high - dist.low)
    if isinstance(dist, LogUniform):
        return x * np.log(dist.high / dist.low)
    raise TypeError(f"no unit-map derivative for {dist!r}")


def _neighbour_cell_midpoints(dist, x):
    """Unit midpoints of each value's cell and of its neighbouring level's cell
    (levels of zero probability are skipped: no design point can land on them)."""
    mid = 0.5 * (dist._edges[:-1] + dist._edges[1:])[dist.weights > 0]
    k = np.searchsorted(dist.levels[dist.weights > 0], x)
    step = np.where(k < mid.size - 1, k + 1, k - 1)
    return mid[k], mid[step]


def _quotient(delta_f, step):
    """Difference quotients; 0 where the step is 0 (an input with a single possible level
    is constant, and so is f along it)."""
    return np.divide(delta_f, step, out=np.zeros_like(delta_f), where=step != 0)


@register_estimator
class DGSM(Estimator):
    """Derivative-based measures, on the scale of the Poincaré bounds on the total indices.

    ``target = "derivative"``: ``importance`` is ``nu_i`` scaled to the Sobol'–Kucherenko /
    Poincaré bound on ``ST_i`` (``extras["st_upper_bound"]``), a mean squared derivative,
    not a share of variance; it ranks like ST only when the bound is equally tight for every
    input (it is loose for inputs acting through oscillations or interactions).

    Option: ``step``, the finite-difference step in unit-cube units, in (0, 0.5).

    Limitations
    -----------
    An upper bound, not an estimate: loose for non-linear effects (a large bound does not
    mean a large ST). Discrete inputs get a heuristic on the same scale (no proven bound).
    Finite differences cost ``d + 1`` evaluations per base point; an exact gradient is
    charged ``gradient_cost`` evaluations.
    """

    name = "dgsm"
    version = "2"
    target = "derivative"
    uses_gradient = True
    _parameter_constraints = {"step": [Interval(Real, 0.0, 0.5, closed="neither")]}

    def __init__(self, *, step: float = 1e-4):
        self.step = step

    def _min_budget(self, space, gradient) -> int:
        fd = sum(dist.discrete for dist in space.dists) if gradient else len(space)
        return _MIN_BASE * (fd + 1)

    def _plan(self, space, budget, rng, gradient):
        d = len(space)
        dists = space.dists
        fd_columns = [j for j, dist in enumerate(dists) if dist.discrete or not gradient]
        n = budget // (1 + len(fd_columns))
        with warnings.catch_warnings():  # n need not be a power of two here
            warnings.simplefilter("ignore", UserWarning)
            base = qmc.Sobol(d, scramble=True, rng=rng).random(n)
        X = space.from_unit(base)
        blocks = [base]
        for j in fd_columns:
            moved = base.copy()
            if dists[j].discrete:
                _, moved[:, j] = _neighbour_cell_midpoints(dists[j], X[:, j])
            else:
                moved[:, j] = np.where(base[:, j] + self.step <= 1, base[:, j] + self.step,
                                       base[:, j] - self.step)
            blocks.append(moved)
        return Design.from_unit(space, np.concatenate(blocks), n=n, fd_columns=fd_columns,
                                exact_gradient=bool(gradient))

    def _analyze(self, design, y, gradient):
        space, dists = design.space, design.space.dists
        d = len(space)
        n, fd_columns = design.info.get("n"), design.info.get("fd_columns")
        if n is None or fd_columns is None or n * (1 + len(fd_columns)) != len(design):
            raise ValueError(f"{self.name}: the design must be a dgsm plan (n and fd_columns in info); "
                             f"got {len(design)} rows, info={design.info}")
        if design.info.get("exact_gradient") != (gradient is not None):
            raise ValueError(f"{self.name}: the design was planned "
                             f"{'with' if design.info.get('exact_gradient') else 'without'} "
                             "an exact gradient; analyze must be called the same way")
        # work in units of the output's spread: squared derivatives of huge outputs would
        # overflow, and every importance is a ratio to V (scale-free)
        scale = float(np.std(y[:n])) or 1.0
        y = y / scale
        if gradient is not None:
            gradient = gradient / scale
        X0, U0, f0 = design.X[:n], design.U[:n], y[:n]
        V = f0.var()
        du = np.full((n, d), np.nan)  # d f / d u (unit cube); NaN for Normal inputs
        dx = np.empty((n, d))  # d f / d x (natural units)
        for block, j in enumerate(fd_columns, start=1):
            rows = slice(block * n, (block + 1) * n)
            delta_f = y[rows] - f0
            if dists[j].discrete:
                mid, moved = _neighbour_cell_midpoints(dists[j], X0[:, j])
                du[:, j] = _quotient(delta_f, moved - mid)
            elif not isinstance(dists[j], Normal):
                du[:, j] = delta_f / (design.U[rows, j] - U0[:, j])
            dx[:, j] = _quotient(delta_f, design.X[rows, j] - X0[:, j])
        for j in sorted(set(range(d)) - set(fd_columns)):
            dx[:, j] = gradient[:n, j]
            if not isinstance(dists[j], Normal):
                du[:, j] = gradient[:n, j] * _dx_du(dists[j], X0[:, j])
        nu = np.mean(dx**2, axis=0)
        nu_unit = np.mean(du**2, axis=0)
        importance = np.zeros(d)
        bound = np.full(d, np.nan)
        if V > 0:
            for j, dist in enumerate(dists):
                if isinstance(dist, Normal):
                    importance[j] = dist.std**2 * nu[j] / V
                else:
                    importance[j] = nu_unit[j] / (np.pi**2 * V)
                if not dist.discrete:
                    bound[j] = importance[j]
        with np.errstate(over="ignore"):  # nu of huge outputs may overflow; importance does not
            extras = {"nu": nu * scale**2, "nu_unit": nu_unit * scale**2, "st_upper_bound": bound,
                      "variance": V * scale**2, "n_base": n}
        return Estimate(names=[], importance=importance, extras=extras)


@register_estimator
class DGSMOracle(DGSM):
    """``dgsm`` given exact gradients for free (an oracle: gradients are not charged).

    Same measure, options and ``target = "derivative"`` as ``dgsm``; on a problem with an
    exact gradient it sees ``budget`` base points with gradients where ``dgsm`` sees
    ``budget / (1 + cost)``.

    Limitations
    -----------
    Not a fair competitor: it receives information other estimators pay for. Kept as a
    reference for what derivative measures can do with perfect derivatives; summaries
    flag it (``oracle = True``). Without a gradient it is ``dgsm``.
    """

    name = "dgsm.oracle"
    oracle = True
