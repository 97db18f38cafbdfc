"""The estimator interface: ``plan`` the points to evaluate, ``analyze`` the outputs."""
from __future__ import annotations

import dataclasses
import inspect
import math
import time
import warnings
from typing import Any, ClassVar

import numpy as np

from ..space import Space
from ._params import validate_parameter_constraints

__all__ = ["Design", "Estimate", "Estimator", "BudgetError", "ConstantOutputWarning", "TARGETS"]

#: What an estimator's ``importance`` estimates (``Estimator.target``): the Sobol' ``first``
#: or ``total`` index, or a documented non-Sobol' notion: ``dependence`` (HSIC, delta,
#: PAWN), ``derivative`` (DGSM, Morris), ``local`` (top-quantile notions), ``marginal``,
#: ``ablation``.
TARGETS = ("first", "total", "dependence", "derivative", "local", "marginal", "ablation")


class BudgetError(ValueError):
    """The budget is below what an estimator needs; the message states the minimum."""


class ConstantOutputWarning(UserWarning):
    """The outputs are constant: every importance is 0 by convention."""


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

    ``importance`` is the estimator's own non-negative scale, used for ranking; ``target``
    names what it estimates (one of ``TARGETS``, copied from ``Estimator.target``).
    ``first``, ``total`` (and ``second``) hold *estimates* of the Sobol' indices only,
    where the method provides them; bounds and approximations (e.g. DGSM's upper bound on
    ST) are named entries of ``extras``. ``ci`` maps an index name (``"first"``,
    ``"total"``, ``"importance"``) to a ``(lower, upper)`` pair of arrays; ``n_evals`` is
    the number of evaluations charged (a gradient costs ``gradient_cost`` of them);
    ``seconds`` is analysis time only.

    Estimators build it in ``_analyze``; :meth:`Estimator.analyze` then sets ``names``,
    ``target``, ``n_evals`` and ``seconds`` and clips ``importance`` at 0.

    Parameters
    ----------
    names : list of str
        The input names, in space order.
    importance : array of shape (d,)
        Non-negative importance on the estimator's own scale.
    first, total : array of shape (d,), optional
        Estimates of S1 and ST, where the method gives them.
    second : array of shape (d, d), optional
        Estimates of the pure second-order indices S2.
    ci : dict, optional
        ``{index name: (lower, upper)}`` confidence intervals.
    n_evals : int, default 0
        Function evaluations charged.
    seconds : float, default 0
        Analysis time.
    extras : dict, optional
        Other outputs (bounds, diagnostics, ``gamma`` of a local notion, ...).
    target : str, default "total"
        One of ``TARGETS``.

    Examples
    --------
    >>> import numpy as np, benchsens as bs
    >>> est = bs.estimate("ishigami", "sobol", budget=1280, seed=0)
    >>> est.target, est.n_evals, est.names
    ('total', 1280, ['x1', 'x2', 'x3'])
    >>> bool(np.abs(est.total - bs.get_problem("ishigami").truth.total).max() < 0.1)
    True
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
    target: str = "total"

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
    """Base class. Subclasses take all options as keyword-only ``__init__`` arguments,
    stored under the same names (no work and no checks there), declare them in
    ``_parameter_constraints`` (see ``benchsens.estimators._params``), and implement
    ``_plan`` and ``_analyze`` (and ``_min_budget`` when they need more than ``2d + 2``
    evaluations). Options are validated at the top of ``plan``, ``analyze`` and
    ``min_budget`` (and by :meth:`validate_params`).

    ``target`` (one of ``TARGETS``) says what ``importance`` estimates; it is copied to
    ``Estimate.target`` and decides which truth the ranking is scored against.
    ``given_data = True`` means ``analyze`` accepts any i.i.d. sample of the space, not only
    the estimator's own plan. ``uses_gradient = True`` means the estimator can use an exact
    gradient: the caller passes ``gradient=True`` (and the problem's ``gradient_cost``) to
    ``plan`` when it will supply one, and the gradient array to ``analyze``; each gradient
    is charged ``gradient_cost`` evaluations. ``oracle = True`` marks an estimator that
    gets such information for free (not charged).
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    target: ClassVar[str] = ""
    given_data: ClassVar[bool] = False
    uses_gradient: ClassVar[bool] = False
    oracle: ClassVar[bool] = False
    _parameter_constraints: ClassVar[dict | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.target and cls.target not in TARGETS:
            raise TypeError(f"{cls.__name__}.target must be one of {TARGETS}, got {cls.target!r}")

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

    def validate_params(self) -> None:
        """Raise ``InvalidParameterError`` (a ValueError) naming the estimator and the
        first option that breaks its declared constraints (or a relation between options).

        An estimator class that declares no ``_parameter_constraints`` is not checked.
        """
        if self._parameter_constraints is not None:
            validate_parameter_constraints(self._parameter_constraints, self.get_params(),
                                           self.name or type(self).__name__)
        self._check_params()

    def _check_params(self) -> None:
        """Checks that constraints on single options cannot express (relations between
        options, an optional back end being installed); none by default."""

    # -- to implement -----------------------------------------------------------------
    def _min_budget(self, space: Space, gradient: bool) -> int:
        """Smallest number of design points (``gradient``: each with an exact gradient)."""
        return 2 * len(space) + 2

    def _plan(self, space: Space, budget: int, rng: np.random.Generator, gradient: bool) -> Design:
        """Default for given-data estimators: ``budget`` i.i.d. points. With ``gradient``,
        ``budget`` is already the number of points whose gradients fit the budget."""
        return Design.from_unit(space, rng.random((budget, len(space))))

    def _analyze(self, design: Design, y: np.ndarray, gradient: np.ndarray | None) -> Estimate:
        raise NotImplementedError

    # -- public, validated -----------------------------------------------------------
    def _gradient_cost(self, space: Space, gradient: bool, gradient_cost) -> float | None:
        """Evaluations charged per gradient, or None when no gradient will be used."""
        if not (gradient and self.uses_gradient):
            return None
        if self.oracle:
            return 0.0
        if gradient_cost is None:
            return float(len(space))
        if isinstance(gradient_cost, bool) or not isinstance(gradient_cost, (int, float, np.integer, np.floating)) \
                or not math.isfinite(gradient_cost) or gradient_cost < 0:
            raise ValueError(f"{self.name}: gradient_cost must be a finite number >= 0, got {gradient_cost!r}")
        return float(gradient_cost)

    def min_budget(self, space: Space, gradient: bool = False, gradient_cost=None) -> int:
        """Smallest number of evaluations this estimator can work with on ``space``
        (with ``gradient``: gradients charged ``gradient_cost`` evaluations each, default d)."""
        self.validate_params()
        cost = self._gradient_cost(space, gradient, gradient_cost)
        rows = int(self._min_budget(space, cost is not None))
        return rows if cost is None else int(math.ceil(rows * (1.0 + cost)))

    def plan(self, space: Space, budget: int, rng: np.random.Generator, gradient: bool = False,
             gradient_cost=None) -> Design:
        """The points to evaluate, never more than ``budget`` evaluations.

        Parameters
        ----------
        space : Space
            The inputs and their distributions.
        budget : int
            Evaluations allowed, at least :meth:`min_budget`.
        rng : numpy.random.Generator
            The only source of randomness of the plan (and of a random analysis).
        gradient : bool
            The caller will pass the exact gradient at every design point to
            :meth:`analyze` (ignored by estimators that use none).
        gradient_cost : float or None
            Evaluations one gradient is charged (None: d, the price of finite
            differences); ``n`` points then need ``n * (1 + gradient_cost) <= budget``.
            Oracle estimators are not charged.

        Returns
        -------
        Design
            ``X`` (natural units) and ``U`` (unit cube); ``info["gradient_cost"]`` records
            the charge per gradient when one is used (0 for an oracle).

        Examples
        --------
        >>> import numpy as np, benchsens as bs
        >>> space = bs.Space.unit(3)
        >>> len(bs.get_estimator("sobol").plan(space, 100, np.random.default_rng(0)))
        80
        >>> dgsm = bs.get_estimator("dgsm")
        >>> design = dgsm.plan(space, 400, np.random.default_rng(0), gradient=True)
        >>> len(design), design.info["gradient_cost"]
        (100, 3.0)
        """
        self.validate_params()
        if not isinstance(space, Space):
            raise TypeError(f"{self.name}: space must be a benchsens.Space, got {type(space).__name__}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"{self.name}: rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if isinstance(budget, bool) or int(budget) != budget:
            raise ValueError(f"{self.name}: budget must be an integer, got {budget!r}")
        budget = int(budget)
        cost = self._gradient_cost(space, gradient, gradient_cost)
        need = self.min_budget(space, gradient, gradient_cost)
        if budget < need:
            charged = "" if cost is None else f" (each gradient charged {cost:g} evaluations)"
            raise BudgetError(
                f"{self.name}: budget={budget} is below the minimum of {need} evaluations "
                f"for d={len(space)}{charged}"
            )
        rows = budget if cost is None else int(budget // (1.0 + cost))
        design = self._plan(space, rows, rng, cost is not None)
        if cost is not None:
            design.info["gradient_cost"] = cost
        if len(design) * (1.0 + (cost or 0.0)) > budget:
            raise RuntimeError(f"{self.name} planned {len(design)} points for budget={budget}")
        return design

    def analyze(self, design: Design, y, gradient=None) -> Estimate:
        """Importances from the outputs ``y`` at ``design.X``.

        Parameters
        ----------
        design : Design
            This estimator's plan or, for ``given_data`` estimators, any i.i.d. sample
            (``Design.from_sample``).
        y : array of shape (n,)
            Finite outputs at ``design.X``.
        gradient : array of shape (n, d) or None
            The exact gradient at every design point, for a design planned with
            ``gradient=True``.

        Returns
        -------
        Estimate
            With ``target`` copied from the estimator and ``n_evals`` the evaluations
            charged (``n (1 + gradient_cost)`` when a gradient was used).

        Raises
        ------
        ValueError
            Invalid options, non-finite ``y``, or outputs whose variance overflows.
            Constant outputs give the convention (every importance 0) and a
            :class:`ConstantOutputWarning` instead.

        Examples
        --------
        >>> import numpy as np, benchsens as bs
        >>> space = bs.Space.unit(2)
        >>> X = space.sample(500, np.random.default_rng(0))
        >>> est = bs.get_estimator("rank_s1").analyze(bs.Design.from_sample(space, X), 3 * X[:, 0])
        >>> est.target, est.first.round(1).tolist()
        ('first', [1.0, 0.0])
        """
        self.validate_params()
        y = np.asarray(y, dtype=float)
        if y.ndim != 1 or y.shape[0] != len(design):
            raise ValueError(f"{self.name}: y must have shape ({len(design)},), got {y.shape}")
        bad = ~np.isfinite(y)
        if bad.any():
            raise ValueError(
                f"{self.name}: y holds {int(bad.sum())} non-finite value(s) (NaN/inf), "
                f"first at index {int(np.argmax(bad))}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            variance = np.var(y)
        if not np.isfinite(variance):
            raise ValueError(
                f"{self.name}: the output variance is not finite (overflow; max |y| = "
                f"{np.max(np.abs(y)):.3g}); rescale the outputs"
            )
        constant = bool(np.ptp(y) == 0)
        if constant:
            warnings.warn(f"{self.name}: the output is constant ({float(y[0])!r}); every importance "
                          "is 0 by convention", ConstantOutputWarning, stacklevel=2)
        cost = None
        if gradient is not None and self.uses_gradient:
            gradient = np.asarray(gradient, float)
            if gradient.shape != design.X.shape:
                raise ValueError(f"{self.name}: gradient must have shape {design.X.shape}, got {gradient.shape}")
            cost = design.info.get("gradient_cost")
            if cost is None:
                raise ValueError(f"{self.name}: a gradient was passed but the design was not planned "
                                 "with gradient=True (its charge is unknown)")
        elif not self.uses_gradient:
            gradient = None
        start = time.perf_counter()
        est = self._analyze(design, y, gradient)
        est.seconds = time.perf_counter() - start
        est.n_evals = len(design) if cost is None else int(math.ceil(len(design) * (1.0 + cost)))
        if cost is not None:
            est.extras.update(exact_gradient=True, gradient_cost=float(cost))
        if constant:
            est.extras["constant_output"] = True
        est.names = list(design.space.names)
        est.target = self.target or "total"
        imp = np.asarray(est.importance, float)
        if imp.shape != (len(design.space),) or not np.all(np.isfinite(imp)):
            raise RuntimeError(f"{self.name} returned an invalid importance vector {imp!r}")
        for label in ("first", "total"):
            values = getattr(est, label)
            if values is not None and not np.all(np.isfinite(values)):
                raise RuntimeError(f"{self.name} returned a non-finite {label} estimate {values!r}")
        est.importance = np.maximum(imp, 0.0)
        return est
