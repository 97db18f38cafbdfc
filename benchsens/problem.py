"""Problems: a space, a pure vectorised function and its ground-truth importances."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.stats import qmc

from .space import Space

__all__ = ["GroundTruth", "Problem"]

TRUTH_KINDS = ("analytic", "exact", "reference")
# Float round-off allowed on a ground-truth index before it is called out of [0, 1].
_GT_TOL = 1e-9


def _index_array(values, name, d=None):
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"GroundTruth.{name} must be 1-D, got shape {arr.shape}")
    if d is not None and arr.size != d:
        raise ValueError(f"GroundTruth.{name} has {arr.size} values for {d} inputs")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"GroundTruth.{name} must be finite, got {arr.tolist()}")
    if np.any(arr < -_GT_TOL) or np.any(arr > 1 + _GT_TOL):
        raise ValueError(f"GroundTruth.{name} must lie in [0, 1], got {arr.tolist()}")
    return _read_only(np.clip(arr, 0.0, 1.0))


def _read_only(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr)  # a private copy: nobody else holds a writeable view of it
    arr.flags.writeable = False
    return arr


def _refuse(self, *args, **kwargs):
    raise TypeError("ground-truth extras are read-only (problems share cached truths); "
                    "copy them (dict(...), list(...)) to edit")


class _FrozenDict(dict):
    """A dict that refuses every change (still a dict: JSON, pickle and ``**`` work)."""

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self):
        return type(self), (dict(self),)


class _FrozenList(list):
    """A list that refuses every change (still a list: numpy indexes with it as with a list)."""

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = clear = extend = insert = pop = remove = reverse = sort = _refuse

    def __reduce__(self):
        return type(self), (list(self),)


def _frozen(value):
    """A read-only deep copy of an ``extras`` value: mappings and lists become read-only
    ones, arrays read-only arrays (so a cached truth cannot be edited in place)."""
    if isinstance(value, Mapping):
        return _FrozenDict({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return _FrozenList(_frozen(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, np.ndarray):
        return _read_only(value)
    return value


@dataclasses.dataclass(frozen=True, eq=False)
class GroundTruth:
    """Known importances of a problem's inputs, in space order.

    ``first`` and ``total`` are Sobol' indices S1 and ST; ``second`` the d x d matrix of
    pure second-order interaction indices S2 (symmetric, zero diagonal; the closed index
    of a pair is ``S1_j + S1_k + S2_jk``). ``extras`` holds other notions
    (``marginal``, ``ablation``, ``local``, ``variance``, ...). ``kind`` is ``analytic``
    (a closed form from the literature), ``exact`` (computed to round-off from the
    function's structure: discrete ANOVA over a full grid, quadrature, or the ANOVA
    algebra of its terms) or ``reference`` (large-sample estimate with ``std_error`` =
    {"first": ..., "total": ...}, used by :func:`benchsens.score` to treat near-equal
    indices as tied). ``source`` names the paper, formula or computation.

    A truth is immutable: its arrays are read-only and ``extras`` is a read-only deep copy
    (dicts and lists that refuse changes, read-only arrays), because problems share
    cached truths.

    Parameters
    ----------
    first, total : array-like of shape (d,)
        S1 and ST of every input, finite and in ``[0, 1]`` (round-off of up to 1e-9
        outside is clipped).
    kind : {"analytic", "exact", "reference"}
        How the values were obtained (see above).
    source : str
        Non-empty: the paper, formula or computation they come from.
    second : array-like of shape (d, d), optional
        Pure second-order indices S2, in ``[0, 1]``.
    extras : mapping, optional
        Other importance notions, stored as a read-only deep copy.
    std_error : mapping of str to array-like of shape (d,), optional
        Standard errors (>= 0) of the indices; required, with ``"first"`` and
        ``"total"``, when ``kind="reference"``.

    Examples
    --------
    >>> import benchsens as bs
    >>> truth = bs.GroundTruth(first=[0.2, 0.8], total=[0.2, 0.8], kind="analytic",
    ...                        source="y = x1 + 2 x2 on U(0, 1)^2: Var = 1/12 + 4/12")
    >>> truth.d, truth.first.tolist(), truth.first.flags.writeable
    (2, [0.2, 0.8], False)
    >>> bs.get_problem("ishigami").truth.total.round(2).tolist()
    [0.56, 0.44, 0.24]
    """

    first: np.ndarray
    total: np.ndarray
    kind: str
    source: str
    second: np.ndarray | None = None
    extras: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    std_error: Mapping[str, np.ndarray] | None = None

    def __post_init__(self):
        first = _index_array(self.first, "first")
        total = _index_array(self.total, "total", first.size)
        object.__setattr__(self, "first", first)
        object.__setattr__(self, "total", total)
        if self.kind not in TRUTH_KINDS:
            raise ValueError(f"GroundTruth.kind must be one of {TRUTH_KINDS}, got {self.kind!r}")
        if not isinstance(self.source, str) or not self.source.strip():
            raise ValueError("GroundTruth.source must name where the values come from")
        if self.second is not None:
            s2 = np.asarray(self.second, float)
            if s2.shape != (first.size, first.size):
                raise ValueError(
                    f"GroundTruth.second must have shape ({first.size}, {first.size}), got {s2.shape}"
                )
            if not np.all(np.isfinite(s2)) or np.any(s2 < -_GT_TOL) or np.any(s2 > 1 + _GT_TOL):
                raise ValueError("GroundTruth.second must be finite and lie in [0, 1]")
            object.__setattr__(self, "second", _read_only(np.clip(s2, 0.0, 1.0)))
        if self.std_error is not None:
            se = {k: _read_only(np.asarray(v, float)) for k, v in self.std_error.items()}
            for k, v in se.items():
                if v.shape != first.shape or not np.all(v >= 0):
                    raise ValueError(f"GroundTruth.std_error[{k!r}] must be {first.size} "
                                     f"values >= 0, got {v.tolist()}")
            object.__setattr__(self, "std_error", _FrozenDict(se))
        if self.kind == "reference" and (self.std_error is None
                                         or not {"first", "total"} <= set(self.std_error)):
            raise ValueError("a reference GroundTruth needs std_error with 'first' and 'total'")
        object.__setattr__(self, "extras", _frozen(self.extras))

    @property
    def d(self) -> int:
        return self.first.size


class Problem:
    """A response surface with known importances.

    ``func(X) -> y`` is pure and vectorised: ``X`` is ``(n, d)`` in natural units (categorical
    values are integer codes), ``y`` is ``(n,)``. ``noise`` adds Gaussian noise with standard
    deviation ``noise * sd(f)`` at evaluation; the ground truth stays that of the noiseless
    function. ``sd(f)`` is measured once on a fixed scrambled Sobol' sample of 2**14 points.
    ``version`` (optional) stands for the function in a sweep's cell identity; without it the
    harness fingerprints the function by its outputs at 8 fixed points, so declare one only
    when evaluating is expensive, and change it whenever the function changes.
    ``gradient_cost`` is what one gradient costs in function evaluations, charged to
    estimators that use gradients: ``None`` means ``d`` (finite differences); a problem
    with a cheaper adjoint declares less. ``func`` must return real numbers: strings,
    other non-numeric objects and complex values raise an error naming the problem.

    Parameters
    ----------
    name : str
        Non-empty; names the problem in sweeps and tables.
    space : Space
        The inputs and their distributions.
    func : callable
        ``func(X) -> y`` as above.
    truth : GroundTruth, optional
        Importances of the noiseless function, with one value per input of ``space``.
    gradient : callable, optional
        ``gradient(X) -> (n, d)`` exact noiseless gradient, for estimators that use one.
    cost : callable, optional
        ``cost(X) -> (n,)`` recorded seconds of a real evaluation (real grids).
    tags : sequence of str, optional
        Labels for :func:`benchsens.list_problems`.
    noise : float, default 0
        Relative noise level, >= 0 (see above).
    params : mapping, optional
        The factory parameters the problem was built with (shown in its repr and stored
        with every cell).
    version : str, optional
        Stands for the function in cell identities (see above).
    gradient_cost : float, optional
        Evaluations charged per gradient, > 0; default ``d``.
    objective : str, optional
        The name of what ``func`` measures (``"loss"``, ``"log_time"``, ...), for problems
        with several objectives.
    objectives : mapping of str to Problem or callable, optional
        The problem's other objectives on the same space, by name: a :class:`Problem` or a
        zero-argument callable building one on first use. :meth:`with_objective` returns
        them; a sweep runs an estimator per objective (spec key ``objectives``).

    Examples
    --------
    >>> import numpy as np, benchsens as bs
    >>> truth = bs.GroundTruth(first=[0.2, 0.8], total=[0.2, 0.8], kind="analytic",
    ...                        source="y = x1 + 2 x2 on U(0, 1)^2: Var = 1/12 + 4/12")
    >>> problem = bs.Problem("linear", bs.Space.unit(2), lambda X: X[:, 0] + 2 * X[:, 1],
    ...                      truth=truth)
    >>> problem, problem.evaluate(np.array([[0.5, 0.5], [1.0, 0.0]])).tolist()
    (<Problem linear d=2>, [1.5, 1.0])
    >>> noisy = problem.with_noise(0.1)
    >>> y = noisy.evaluate(np.array([[0.5, 0.5]]), rng=np.random.default_rng(0))
    >>> y.shape, round(noisy.output_std, 2), noisy.truth is truth
    ((1,), 0.65, True)
    >>> grid = bs.get_problem("svc_digits")
    >>> grid.objective, grid.with_objective("log_time").name
    ('loss', 'svc_digits.log_time')
    """

    def __init__(
        self,
        name: str,
        space: Space,
        func: Callable[[np.ndarray], np.ndarray],
        truth: GroundTruth | None = None,
        gradient: Callable[[np.ndarray], np.ndarray] | None = None,
        cost: Callable[[np.ndarray], np.ndarray] | None = None,
        tags: tuple[str, ...] | list[str] = (),
        noise: float = 0.0,
        params: Mapping[str, Any] | None = None,
        version: str | None = None,
        gradient_cost: float | None = None,
        objective: str | None = None,
        objectives: Mapping[str, Any] | None = None,
    ):
        if not isinstance(name, str) or not name:
            raise ValueError(f"Problem name must be a non-empty string, got {name!r}")
        if not isinstance(space, Space):
            raise TypeError(f"Problem {name!r}: space must be a benchsens.Space, got {type(space).__name__}")
        if not callable(func):
            raise TypeError(f"Problem {name!r}: func must be callable")
        if truth is not None:
            if not isinstance(truth, GroundTruth):
                raise TypeError(f"Problem {name!r}: truth must be a GroundTruth")
            if truth.d != len(space):
                raise ValueError(
                    f"Problem {name!r}: truth has {truth.d} values for {len(space)} inputs"
                )
        try:
            noise = float(noise)
        except (TypeError, ValueError):
            raise ValueError(
                f"Problem {name!r}: noise must be a number >= 0, got {noise!r} "
                "(noise='replicate' exists only on real grid problems)"
            ) from None
        if not np.isfinite(noise) or noise < 0:
            raise ValueError(f"Problem {name!r}: noise must be >= 0, got {noise!r}")
        if gradient_cost is None:
            gradient_cost = len(space)
        elif isinstance(gradient_cost, bool) or not isinstance(gradient_cost, (int, float, np.number)) \
                or not 0 < gradient_cost < np.inf:
            raise ValueError(f"Problem {name!r}: gradient_cost must be a number > 0 (function "
                             f"evaluations per gradient) or None, got {gradient_cost!r}")
        self.name = name
        self.space = space
        self.func = func
        self.truth = truth
        self._gradient = gradient
        self._cost = cost
        self.tags = tuple(tags)
        self.noise = noise
        self.params = dict(params or {})
        if version is not None and (not isinstance(version, str) or not version):
            raise ValueError(f"Problem {name!r}: version must be a non-empty string, got {version!r}")
        # identifies the function in a sweep's cell keys instead of its outputs at 8 fixed points
        # (declare it when evaluating is expensive; change it whenever the function changes)
        self.version = version
        self.gradient_cost = float(gradient_cost)
        self._output_std = None
        self._set_objectives(objective, objectives)

    def _set_objectives(self, objective, objectives):
        if objective is not None and (not isinstance(objective, str) or not objective):
            raise ValueError(f"Problem {self.name!r}: objective must be a non-empty string, got {objective!r}")
        others = dict(objectives or {})
        if others and objective is None:
            raise ValueError(f"Problem {self.name!r}: name this problem's own objective "
                             f"(objective=...) when it has others ({sorted(others)})")
        for key, value in others.items():
            if not isinstance(key, str) or not key or key == objective:
                raise ValueError(f"Problem {self.name!r}: objective names must be non-empty strings "
                                 f"other than its own ({objective!r}), got {key!r}")
            if not (isinstance(value, Problem) or callable(value)):
                raise TypeError(f"Problem {self.name!r}: objective {key!r} must be a Problem or a "
                                f"callable building one, got {type(value).__name__}")
        self.objective = objective
        self._objectives = others
        self._built: dict[str, Problem] = {}

    @property
    def objectives(self) -> tuple[str, ...]:
        """Names of the problem's objectives, its own first (empty when it has no name)."""
        return ((self.objective,) if self.objective else ()) + tuple(self._objectives)

    def with_objective(self, name: str) -> "Problem":
        """The problem of objective ``name`` (this one for its own), on the same space and
        with the same noise level."""
        if name == self.objective:
            return self
        if name not in self._objectives:
            raise KeyError(f"problem {self.name!r} has no objective {name!r} "
                           f"(objectives: {', '.join(self.objectives) or 'none'})")
        if name not in self._built:
            value = self._objectives[name]
            other = value if isinstance(value, Problem) else value()
            if not isinstance(other, Problem) or other.space != self.space:
                raise ValueError(f"problem {self.name!r}: objective {name!r} must build a Problem "
                                 "on the same space")
            if self.noise != other.noise:
                other = other.with_noise(self.noise)
            self._built[name] = other
        return self._built[name]

    def __repr__(self):
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        noise = f", noise={self.noise}" if self.noise else ""
        return f"<Problem {self.name}{extra}{noise} d={self.d}>"

    @property
    def d(self) -> int:
        return len(self.space)

    @property
    def has_gradient(self) -> bool:
        return self._gradient is not None

    @property
    def has_cost(self) -> bool:
        return self._cost is not None

    def with_noise(self, noise: float) -> "Problem":
        """A copy of this problem with another noise level (same truth)."""
        new = Problem(
            self.name, self.space, self.func, self.truth, self._gradient, self._cost,
            self.tags, noise, self.params, self.version, self.gradient_cost,
            self.objective, self._objectives,
        )
        new._output_std = self._output_std
        return new

    @property
    def output_std(self) -> float:
        """Standard deviation of the noiseless output, from 2**14 fixed QMC points."""
        if self._output_std is None:
            U = qmc.Sobol(self.d, scramble=True, seed=12345).random(2**14)
            self._output_std = float(np.std(self._call(self.space.from_unit(U))))
        return self._output_std

    def _call(self, X):
        y = self._real_outputs(self.func(X))
        if y.shape != (X.shape[0],):
            y = y.reshape(-1) if y.size == X.shape[0] else y
        if y.shape != (X.shape[0],):
            raise ValueError(
                f"Problem {self.name!r}: func returned shape {np.shape(y)} for {X.shape[0]} points"
            )
        return y

    def _real_outputs(self, raw) -> np.ndarray:
        """``func``'s outputs as floats; complex or non-numeric outputs raise (a silent
        cast would drop imaginary parts or parse strings)."""
        y = np.asarray(raw)
        if y.dtype == object:  # Python objects: let numpy infer what they are
            y = np.array(y.tolist())
        if y.dtype.kind == "c":
            raise ValueError(f"Problem {self.name!r}: func returned complex outputs ({y.dtype}); "
                             "it must return real numbers")
        if y.dtype.kind not in "biuf":
            first = y.ravel()[:1].tolist()[0] if y.size else None
            raise ValueError(f"Problem {self.name!r}: func returned non-numeric outputs of dtype "
                             f"{y.dtype} (first: {first!r}); it must return real numbers")
        return y.astype(float, copy=False)

    def evaluate(self, X, rng: np.random.Generator | None = None) -> np.ndarray:
        """Outputs at the ``(n, d)`` points ``X`` (natural units). ``rng`` draws the noise."""
        X = self.space.validate(X)
        y = self._call(X)
        if self.noise:
            if not isinstance(rng, np.random.Generator):
                raise ValueError(
                    f"Problem {self.name!r} has noise={self.noise}: pass rng=numpy.random.Generator"
                )
            y = y + rng.normal(0.0, self.noise * self.output_std, size=y.shape)
        return y

    def gradient(self, X) -> np.ndarray:
        """Noiseless gradient ``(n, d)``, when the problem has one."""
        if self._gradient is None:
            raise NotImplementedError(f"Problem {self.name!r} has no gradient")
        X = self.space.validate(X)
        g = np.asarray(self._gradient(X), dtype=float)
        if g.shape != X.shape:
            raise ValueError(f"Problem {self.name!r}: gradient returned shape {g.shape}, expected {X.shape}")
        return g

    def cost(self, X) -> np.ndarray:
        """Recorded seconds of a real evaluation at each point, when the problem has it."""
        if self._cost is None:
            raise NotImplementedError(f"Problem {self.name!r} has no recorded cost")
        X = self.space.validate(X)
        return np.asarray(self._cost(X), dtype=float).reshape(X.shape[0])
