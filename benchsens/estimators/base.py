"""The estimator interface: ``plan`` the points to evaluate, ``analyze`` the outputs."""
from __future__ import annotations

import dataclasses
import inspect
import time
from typing import Any, ClassVar

import numpy as np

from ..space import Space

__all__ = ["Design", "Estimate", "Estimator", "BudgetError"]


class BudgetError(ValueError):
    """The budget is below what an estimator needs; the message states the minimum."""


@dataclasses.dataclass
class Design:
    """Points to evaluate: ``X`` in natural units, ``U`` the same points in ``[0, 1]``.

    ``info`` holds what the estimator needs to read its own design back (e.g. the base
    sample size of a Saltelli design).
    """

    space: Space
    X: np.ndarray
    U: np.ndarray
    info: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_unit(cls, space: Space, U, **info) -> "Design":
        U = np.asarray(U, float)
        return cls(space, space.from_unit(U), U, dict(info))

    @classmethod
    def from_sample(cls, space: Space, X, **info) -> "Design":
        """A design made of given points (a random sample or an optimiser's trace)."""
        X = space.validate(X)
        return cls(space, X, space.to_unit(X), dict(info))

    def __len__(self):
        return self.X.shape[0]

    def unit_at_levels(self) -> np.ndarray:
        """``U`` with every discrete column moved to its level's cell midpoint.

        A planned design draws ``U`` anywhere in a level's unit cell; the position inside the
        cell carries no information (the function sees only the level), so given-data
        analyses read the midpoints (``space.to_unit(X)``), as for a sample they did not plan.
        """
        dists = self.space.dists
        discrete = [j for j, dist in enumerate(dists) if dist.discrete]
        if not discrete:
            return self.U
        U = self.U.copy()
        for j in discrete:
            U[:, j] = dists[j].to_unit(self.X[:, j])
        return U


@dataclasses.dataclass
class Estimate:
    """What an estimator says about each input (space order).

    ``importance`` is the estimator's own non-negative scale, used for ranking; ``first``,
    ``total`` (and ``second``) are on the Sobol' scale where the method provides them;
    ``ci`` maps an index name (``"first"``, ``"total"``, ``"importance"``) to a
    ``(lower, upper)`` pair of arrays; ``seconds`` is analysis time only.
    """

    names: list[str]
    importance: np.ndarray
    first: np.ndarray | None = None
    total: np.ndarray | None = None
    second: np.ndarray | None = None
    ci: dict[str, tuple[np.ndarray, np.ndarray]] = dataclasses.field(default_factory=dict)
    n_evals: int = 0
    seconds: float = 0.0
    extras: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain lists and floats (for JSON and the store)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                v = v.tolist()
            elif f.name == "ci":
                v = {k: [np.asarray(lo).tolist(), np.asarray(hi).tolist()] for k, (lo, hi) in v.items()}
            out[f.name] = v
        return out


class Estimator:
    """Base class. Subclasses take all options in ``__init__`` (stored under the same
    names, no work there) and implement ``_plan`` and ``_analyze``.

    ``given_data = True`` means ``analyze`` accepts any i.i.d. sample of the space, not only
    the estimator's own plan. ``uses_gradient = True`` means the estimator can use an exact
    gradient: the caller passes ``gradient=True`` to ``plan`` when it will supply one and the
    gradient array to ``analyze``.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    given_data: ClassVar[bool] = False
    uses_gradient: ClassVar[bool] = False

    # -- sklearn-style parameters -------------------------------------------------
    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        return [p for p, par in sig.parameters.items() if p != "self" and par.kind not in skip]

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in self._param_names()}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- to implement -----------------------------------------------------------------
    def min_budget(self, space: Space) -> int:
        """Smallest number of evaluations this estimator can work with on ``space``."""
        return 2 * len(space) + 2

    def _plan(self, space: Space, budget: int, rng: np.random.Generator, gradient: bool) -> Design:
        """Default for given-data estimators: ``budget`` i.i.d. points."""
        return Design.from_unit(space, rng.random((budget, len(space))))

    def _analyze(self, design: Design, y: np.ndarray, gradient: np.ndarray | None) -> Estimate:
        raise NotImplementedError

    # -- public, validated -----------------------------------------------------------
    def plan(self, space: Space, budget: int, rng: np.random.Generator, gradient: bool = False) -> Design:
        """The points to evaluate, never more than ``budget``."""
        if not isinstance(space, Space):
            raise TypeError(f"{self.name}: space must be a benchsens.Space, got {type(space).__name__}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"{self.name}: rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if isinstance(budget, bool) or int(budget) != budget:
            raise ValueError(f"{self.name}: budget must be an integer, got {budget!r}")
        budget = int(budget)
        need = self.min_budget(space)
        if budget < need:
            raise BudgetError(
                f"{self.name}: budget={budget} is below the minimum of {need} evaluations "
                f"for d={len(space)}"
            )
        design = self._plan(space, budget, rng, bool(gradient and self.uses_gradient))
        if len(design) > budget:
            raise RuntimeError(f"{self.name} planned {len(design)} points for budget={budget}")
        return design

    def analyze(self, design: Design, y, gradient=None) -> Estimate:
        """Importances from the outputs ``y`` at ``design.X``."""
        y = np.asarray(y, dtype=float)
        if y.ndim != 1 or y.shape[0] != len(design):
            raise ValueError(f"{self.name}: y must have shape ({len(design)},), got {y.shape}")
        bad = ~np.isfinite(y)
        if bad.any():
            raise ValueError(
                f"{self.name}: y holds {int(bad.sum())} non-finite value(s) (NaN/inf), "
                f"first at index {int(np.argmax(bad))}"
            )
        if gradient is not None:
            gradient = np.asarray(gradient, float)
            if gradient.shape != design.X.shape:
                raise ValueError(f"{self.name}: gradient must have shape {design.X.shape}, got {gradient.shape}")
        start = time.perf_counter()
        est = self._analyze(design, y, gradient)
        est.seconds = time.perf_counter() - start
        est.n_evals = len(design)
        est.names = list(design.space.names)
        imp = np.asarray(est.importance, float)
        if imp.shape != (len(design.space),) or not np.all(np.isfinite(imp)):
            raise RuntimeError(f"{self.name} returned an invalid importance vector {imp!r}")
        est.importance = np.maximum(imp, 0.0)
        return est
