"""Parameter spaces: distributions that map the unit interval onto their support.

Every design is built in ``[0, 1)^d`` and mapped once with :meth:`Space.from_unit`;
``to_unit`` maps natural values back (discrete values go to the midpoint of their
unit cell, so ``from_unit(to_unit(x)) == x`` for every design point). Inputs are
independent; a conditional space (``Space(..., conditions=...)``) fixes the value of a
parameter where it is inactive.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = [
    "Distribution",
    "Uniform",
    "LogUniform",
    "Normal",
    "Integer",
    "Ordinal",
    "Categorical",
    "Space",
]

# Keeps Normal's quantile finite at u = 0 or 1 (scrambled designs can contain 0).
_U_EPS = 2.0**-53
#: Level weights must sum to 1 within this (absolute) tolerance; they are then renormalised.
WEIGHT_SUM_ATOL = 1e-9


def _finite_number(value, what):
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not np.isfinite(out):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return out


class Distribution:
    """One input's distribution. Subclasses implement the unit-interval maps."""

    kind: str = ""
    #: True for distributions with a finite support (``levels`` and ``weights`` exist).
    discrete: bool = False

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Boolean mask of the values in the support."""
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))


class Uniform(Distribution):
    """Uniform on ``[low, high]``: ``u`` maps linearly onto the interval.

    Parameters
    ----------
    low, high : float
        Finite bounds with ``low < high``.

    Examples
    --------
    >>> import benchsens as bs
    >>> bs.Uniform(0, 10).from_unit([0.0, 0.25, 1.0]).tolist()
    [0.0, 2.5, 10.0]
    >>> bs.Uniform(0, 10).to_unit([5.0]).tolist()
    [0.5]
    """

    kind = "uniform"

    def __init__(self, low: float, high: float):
        self.low = _finite_number(low, "Uniform low")
        self.high = _finite_number(high, "Uniform high")
        if not self.low < self.high:
            raise ValueError(f"Uniform needs low < high, got low={low!r}, high={high!r}")

    def from_unit(self, u):
        return self.low + np.asarray(u, float) * (self.high - self.low)

    def to_unit(self, x):
        return (np.asarray(x, float) - self.low) / (self.high - self.low)

    def contains(self, x):
        return (x >= self.low) & (x <= self.high)

    def __repr__(self):
        return f"Uniform({self.low!r}, {self.high!r})"


class LogUniform(Distribution):
    """Log-uniform on ``[low, high]`` (``log x`` uniform), for scale parameters such as
    learning rates, where every decade is equally likely.

    Parameters
    ----------
    low, high : float
        Finite positive bounds with ``low < high``.

    Examples
    --------
    >>> import benchsens as bs
    >>> bs.LogUniform(1e-3, 10).from_unit([0.0, 0.5, 1.0]).round(6).tolist()
    [0.001, 0.1, 10.0]
    """

    kind = "loguniform"

    def __init__(self, low: float, high: float):
        self.low = _finite_number(low, "LogUniform low")
        self.high = _finite_number(high, "LogUniform high")
        if self.low <= 0 or self.high <= 0:
            raise ValueError(
                f"LogUniform needs positive bounds, got low={low!r}, high={high!r}"
            )
        if not self.low < self.high:
            raise ValueError(f"LogUniform needs low < high, got low={low!r}, high={high!r}")

    def from_unit(self, u):
        lo, hi = np.log(self.low), np.log(self.high)
        return np.exp(lo + np.asarray(u, float) * (hi - lo))

    def to_unit(self, x):
        lo, hi = np.log(self.low), np.log(self.high)
        return (np.log(np.asarray(x, float)) - lo) / (hi - lo)

    def contains(self, x):
        # exp/log round trips can overshoot the bounds by an ulp
        return (x >= self.low * (1 - 1e-12)) & (x <= self.high * (1 + 1e-12))

    def __repr__(self):
        return f"LogUniform({self.low!r}, {self.high!r})"


class Normal(Distribution):
    """Gaussian ``N(mean, std**2)``; ``u`` maps through the normal quantile function
    (clipped away from 0 and 1, so a design point at 0 stays finite).

    Parameters
    ----------
    mean : float, default 0
        Finite mean.
    std : float, default 1
        Finite standard deviation, > 0.

    Examples
    --------
    >>> import benchsens as bs
    >>> bs.Normal(10, 2).from_unit([0.5, 0.975]).round(2).tolist()
    [10.0, 13.92]
    >>> bs.Normal(10, 2).to_unit([10.0]).tolist()
    [0.5]
    """

    kind = "normal"

    def __init__(self, mean: float = 0.0, std: float = 1.0):
        self.mean = _finite_number(mean, "Normal mean")
        self.std = _finite_number(std, "Normal std")
        if self.std <= 0:
            raise ValueError(f"Normal needs std > 0, got std={std!r}")

    def from_unit(self, u):
        u = np.clip(np.asarray(u, float), _U_EPS, 1 - _U_EPS)
        return self.mean + self.std * ndtri(u)

    def to_unit(self, x):
        return ndtr((np.asarray(x, float) - self.mean) / self.std)

    def contains(self, x):
        return np.isfinite(x)

    def __repr__(self):
        return f"Normal({self.mean!r}, {self.std!r})"


class _Finite(Distribution):
    """A finite support ``levels`` with probabilities ``weights``.

    The unit interval is cut into consecutive cells of width ``weights[k]``;
    ``from_unit`` returns the level whose cell holds ``u``, ``to_unit`` the cell midpoint.
    """

    discrete = True

    def _set_support(self, levels, weights, what):
        levels = np.asarray(levels, float)
        if levels.ndim != 1 or levels.size == 0:
            raise ValueError(f"{what} needs a non-empty 1-D list of levels, got {levels!r}")
        if weights is None:
            weights = np.full(levels.size, 1.0 / levels.size)
        else:
            weights = np.asarray(weights, float)
            if weights.shape != levels.shape:
                raise ValueError(
                    f"{what} weights has {weights.size} entries for {levels.size} levels"
                )
            if np.any(~np.isfinite(weights)) or np.any(weights < 0):
                raise ValueError(f"{what} weights must be finite and >= 0, got {weights.tolist()}")
            if not np.isclose(weights.sum(), 1.0, rtol=0, atol=WEIGHT_SUM_ATOL):
                raise ValueError(
                    f"{what} weights must sum to 1, got sum={weights.sum():.12g} "
                    f"for weights={weights.tolist()}"
                )
            weights = weights / weights.sum()
        levels.flags.writeable = False  # shared by cached problems: never edited in place
        weights = np.array(weights)
        weights.flags.writeable = False
        self.levels = levels
        self.weights = weights
        self._edges = np.concatenate([[0.0], np.cumsum(weights)])
        self._edges[-1] = 1.0

    def from_unit(self, u):
        idx = np.searchsorted(self._edges, np.asarray(u, float), side="right") - 1
        return self.levels[np.clip(idx, 0, self.levels.size - 1)]

    def index(self, x):
        """Position of each value in ``levels`` (-1 where it is not a level)."""
        x = np.asarray(x, float)
        pos = np.clip(np.searchsorted(self.levels, x), 0, self.levels.size - 1)
        return np.where(self.levels[pos] == x, pos, -1)

    def to_unit(self, x):
        idx = self.index(x)
        if np.any(idx < 0):
            bad = np.asarray(x, float)[idx < 0]
            raise ValueError(f"{self!r}: values {bad[:5].tolist()} are not levels")
        return 0.5 * (self._edges[idx] + self._edges[idx + 1])

    def contains(self, x):
        return self.index(x) >= 0


class Integer(_Finite):
    """Integers ``low..high`` inclusive; equally likely, or log-uniform with ``log=True``
    (``P(k)`` proportional to ``log((k + 1) / k)``, for widths and counts).

    Parameters
    ----------
    low, high : int
        Integer bounds (integral floats are accepted) with ``low < high``.
    log : bool, default False
        Log-uniform weights; needs ``low >= 1``.

    Examples
    --------
    >>> import benchsens as bs
    >>> dist = bs.Integer(1, 4)
    >>> dist.levels.tolist(), dist.weights.tolist()
    ([1.0, 2.0, 3.0, 4.0], [0.25, 0.25, 0.25, 0.25])
    >>> dist.from_unit([0.1, 0.3, 0.99]).tolist()
    [1.0, 2.0, 4.0]
    >>> bs.Integer(1, 4, log=True).weights.round(3).tolist()
    [0.431, 0.252, 0.179, 0.139]
    """

    kind = "integer"

    def __init__(self, low: int, high: int, log: bool = False):
        if int(low) != low or int(high) != high:
            raise ValueError(f"Integer needs integer bounds, got low={low!r}, high={high!r}")
        self.low, self.high, self.log = int(low), int(high), bool(log)
        if not self.low < self.high:
            raise ValueError(f"Integer needs low < high, got low={low!r}, high={high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"Integer(log=True) needs low >= 1, got low={low!r}")
        levels = np.arange(self.low, self.high + 1, dtype=float)
        weights = np.log1p(1.0 / levels) if self.log else None
        if weights is not None:
            weights = weights / weights.sum()
        self._set_support(levels, weights, "Integer")

    def __repr__(self):
        return f"Integer({self.low!r}, {self.high!r}, log={self.log!r})"


class Ordinal(_Finite):
    """A finite ordered set of numbers (e.g. a grid axis), optionally weighted.

    Parameters
    ----------
    levels : sequence of float
        Strictly increasing, non-empty.
    weights : sequence of float, optional
        Probability of each level (>= 0, summing to 1 within ``WEIGHT_SUM_ATOL``);
        equal weights by default.

    Examples
    --------
    >>> import benchsens as bs
    >>> dist = bs.Ordinal([1, 2, 4], weights=[0.5, 0.25, 0.25])
    >>> dist.from_unit([0.1, 0.6, 0.9]).tolist()
    [1.0, 2.0, 4.0]
    >>> dist.to_unit([1.0, 4.0]).tolist()
    [0.25, 0.875]
    """

    kind = "ordinal"

    def __init__(self, levels: Sequence[float], weights: Sequence[float] | None = None):
        try:
            arr = np.asarray(levels, float)
        except (TypeError, ValueError):
            raise ValueError(f"Ordinal levels must be numbers, got {levels!r}") from None
        if arr.ndim == 1 and arr.size > 1 and np.any(np.diff(arr) <= 0):
            raise ValueError(f"Ordinal levels must be strictly increasing, got {list(levels)!r}")
        self._set_support(arr, weights, "Ordinal")

    def __repr__(self):
        return f"Ordinal({self.levels.tolist()!r}, weights={self.weights.tolist()!r})"


class Categorical(_Finite):
    """Unordered choices; values in a design are the integer codes ``0..k-1``
    (a problem's function receives codes; :meth:`decode` gives the labels back).

    Parameters
    ----------
    choices : sequence
        Distinct choices (any objects; a string is refused, not split into letters).
    weights : sequence of float, optional
        Probability of each choice (>= 0, summing to 1 within ``WEIGHT_SUM_ATOL``);
        equal weights by default.

    Examples
    --------
    >>> import benchsens as bs
    >>> dist = bs.Categorical(["relu", "tanh", "gelu"])
    >>> codes = dist.from_unit([0.1, 0.5, 0.9])
    >>> codes.tolist(), dist.decode(codes)
    ([0.0, 1.0, 2.0], ['relu', 'tanh', 'gelu'])
    """

    kind = "categorical"

    def __init__(self, choices: Sequence, weights: Sequence[float] | None = None):
        if isinstance(choices, (str, bytes)):  # list("abc") would make three choices
            raise TypeError(f"Categorical choices must be a list of choices, not the string {choices!r}")
        self.choices = list(choices)
        if len(self.choices) == 0:
            raise ValueError("Categorical needs at least one choice")
        if len(set(map(repr, self.choices))) != len(self.choices):
            raise ValueError(f"Categorical choices must be distinct, got {self.choices!r}")
        self._set_support(np.arange(len(self.choices), dtype=float), weights, "Categorical")

    def decode(self, codes) -> list:
        """Choice labels for integer codes."""
        return [self.choices[int(c)] for c in np.asarray(codes).ravel()]

    def __repr__(self):
        return f"Categorical({self.choices!r}, weights={self.weights.tolist()!r})"


def _code(dist: "_Finite", value, child: str, parent: str) -> float:
    """The design value (a categorical's code, an ordinal's level) of a condition's value."""
    if isinstance(dist, Categorical):
        for k, choice in enumerate(dist.choices):
            same = isinstance(choice, (bool, np.bool_)) == isinstance(value, (bool, np.bool_))
            if same and np.array_equal(np.asarray(choice, dtype=object), np.asarray(value, dtype=object)):
                return float(k)
        raise ValueError(f"Space condition of {child!r}: {value!r} is not a choice of {parent!r} "
                         f"(choices: {dist.choices!r})")
    try:
        level = float(value)
    except (TypeError, ValueError):
        level = np.nan
    if isinstance(value, bool) or not dist.contains(np.array([level]))[0]:
        raise ValueError(f"Space condition of {child!r}: {value!r} is not a level of {parent!r} "
                         f"(levels: {dist.levels.tolist()})")
    return level


class Space(Mapping):
    """An ordered mapping of parameter names to independent distributions, optionally
    with conditions (a parameter that exists only under another's choice).

    ``default`` (optional) is the configuration a tuner starts from, ``{name: value}`` for
    every parameter in natural units (a categorical's value is its choice's code); it is
    what tuning-from-the-default estimators (``marginal``, ``ablation``) start from, and
    real grids set it from their recorded default. :meth:`default_point` falls back to
    each input's median (``from_unit(0.5)``) and a categorical's first choice.

    ``conditions`` make the space conditional: ``{child: (parent, values)}`` says that
    ``child`` is *active* only where ``parent`` is active and takes one of ``values``
    (chains are allowed, cycles are not). A problem ignores the value of an inactive
    parameter; designs (:meth:`from_unit`, :meth:`sample`) hold a fixed value there:
    inactive values are mapped to the default configuration's value, or the median /
    first choice without a default (:meth:`fix_inactive`). Inputs stay independent: the
    distribution of the product space is unchanged, only the inactive entries are fixed.

    Parameters
    ----------
    params : mapping of str to Distribution
        Non-empty; the order of the names is the column order of every design.
    default : mapping of str to float, optional
        A value inside the support of every parameter (and only those).
    conditions : mapping of str to (str, sequence), optional
        ``{child: (parent, values)}``. The parent must be discrete; ``values`` are choices
        of a Categorical parent (labels, not codes) or levels of an Ordinal/Integer one.

    Examples
    --------
    >>> import numpy as np, benchsens as bs
    >>> space = bs.Space({"lr": bs.LogUniform(1e-4, 1e-1), "layers": bs.Integer(1, 4),
    ...                   "act": bs.Categorical(["relu", "tanh"])})
    >>> space.names, space.kinds
    (['lr', 'layers', 'act'], ['loguniform', 'integer', 'categorical'])
    >>> X = space.sample(5, np.random.default_rng(0))
    >>> X.shape, bool(np.array_equal(space.from_unit(space.to_unit(X)), X))
    ((5, 3), True)
    >>> space.default_point().round(4).tolist()
    [0.0032, 3.0, 0.0]
    >>> bs.Space.unit(2)
    Space({'x1': Uniform(0.0, 1.0), 'x2': Uniform(0.0, 1.0)})

    Momentum exists only for SGD (its inactive entries hold the median, 0.5):

    >>> cond = bs.Space({"opt": bs.Categorical(["sgd", "adam"]), "momentum": bs.Uniform(0, 1)},
    ...                 conditions={"momentum": ("opt", ["sgd"])})
    >>> cond.conditions
    mappingproxy({'momentum': ('opt', (0.0,))})
    >>> X = cond.from_unit([[0.2, 0.9], [0.7, 0.9]])
    >>> X.tolist(), cond.active(X).tolist()
    ([[0.0, 0.9], [1.0, 0.5]], [[True, True], [True, False]])
    """

    def __init__(self, params: Mapping[str, Distribution], default: Mapping[str, float] | None = None,
                 conditions: Mapping[str, tuple] | None = None):
        if not isinstance(params, Mapping) or len(params) == 0:
            raise ValueError(f"Space needs a non-empty mapping of name -> distribution, got {params!r}")
        for name, dist in params.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"Space parameter names must be non-empty strings, got {name!r}")
            if not isinstance(dist, Distribution):
                raise TypeError(
                    f"Space parameter {name!r} must be a benchsens distribution "
                    f"(Uniform, LogUniform, ...), got {dist!r}"
                )
        self._params = dict(params)
        self.default = None if default is None else self._check_default(default)
        self._condition_labels, codes = self._check_conditions(conditions)
        self._conditions = codes
        self._order = self._topological(codes)
        self._fixed = self.default_point() if codes else None

    def _check_conditions(self, conditions) -> tuple[dict, dict]:
        """``conditions`` as given (for repr) and normalised to float codes, or a ValueError."""
        if conditions is None:
            return {}, {}
        if not isinstance(conditions, Mapping):
            raise ValueError(f"Space conditions must be a mapping child -> (parent, values), got {conditions!r}")
        labels, codes = {}, {}
        for child, spec in conditions.items():
            if child not in self._params:
                raise ValueError(f"Space condition on unknown parameter {child!r} (parameters: {self.names})")
            if not isinstance(spec, Sequence) or isinstance(spec, str) or len(spec) != 2:
                raise ValueError(f"Space condition of {child!r} must be a pair (parent, values), got {spec!r}")
            parent, values = spec
            if parent not in self._params:
                raise ValueError(f"Space condition of {child!r}: unknown parent {parent!r} (parameters: {self.names})")
            if parent == child:
                raise ValueError(f"Space condition of {child!r}: a parameter cannot be its own parent")
            dist = self._params[parent]
            if not dist.discrete:
                raise ValueError(f"Space condition of {child!r}: parent {parent!r} ~ {dist!r} must be discrete "
                                 "(Categorical, Ordinal or Integer)")
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
                kind = "choices" if isinstance(dist, Categorical) else "levels"
                raise ValueError(f"Space condition of {child!r}: values must be a non-empty list of {kind} "
                                 f"of {parent!r}, got {values!r}")
            codes[child] = (parent, tuple(sorted({_code(dist, v, child, parent) for v in values})))
            labels[child] = (parent, list(values))
        return labels, codes

    def _topological(self, codes) -> list[tuple[int, int, np.ndarray]]:
        """``(child column, parent column, parent codes)`` with every parent before its
        children; a ValueError names a cycle."""
        names = self.names
        order, placed = [], set()
        for child in codes:
            chain = [child]
            while chain[-1] in codes and chain[-1] not in placed:
                parent = codes[chain[-1]][0]
                if parent in chain:
                    cycle = " -> ".join(chain[chain.index(parent):] + [parent])
                    raise ValueError(f"Space conditions form a cycle: {cycle}")
                chain.append(parent)
            for name in reversed(chain):
                if name in codes and name not in placed:
                    placed.add(name)
                    order.append((names.index(name), names.index(codes[name][0]),
                                  np.array(codes[name][1])))
        return order

    def _check_default(self, default) -> dict:
        if not isinstance(default, Mapping) or set(default) != set(self._params):
            got = sorted(default) if isinstance(default, Mapping) else default
            raise ValueError(f"Space default must map every parameter {self.names} to a value, got {got!r}")
        out = {}
        for name, dist in self._params.items():
            value = _finite_number(default[name], f"Space default of {name!r}")
            if not dist.contains(np.array([value]))[0]:
                raise ValueError(f"Space default {name}={default[name]!r} is outside {dist!r}")
            out[name] = value
        return out

    def default_point(self) -> np.ndarray:
        """The default configuration as a ``(d,)`` array in natural units: ``default``, or
        without one each input's median (a categorical's first choice)."""
        if self.default is not None:
            return np.array([self.default[n] for n in self._params])
        point = self._map_unit(np.full((1, len(self)), 0.5))[0]
        point[[d.kind == "categorical" for d in self._params.values()]] = 0.0
        return point

    @classmethod
    def unit(cls, d: int, prefix: str = "x") -> "Space":
        """``d`` independent Uniform(0, 1) inputs named ``x1..xd``."""
        return cls({f"{prefix}{i + 1}": Uniform(0.0, 1.0) for i in range(int(d))})

    def __getitem__(self, name):
        return self._params[name]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def __repr__(self):
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in self._params.items())
        default = "" if self.default is None else f", default={self.default!r}"
        conditions = f", conditions={self._condition_labels!r}" if self.is_conditional else ""
        return f"Space({{{inner}}}{default}{conditions})"

    def __eq__(self, other):
        return (isinstance(other, Space) and list(self.items()) == list(other.items())
                and self.default == other.default and self._conditions == other._conditions)

    __hash__ = None

    @property
    def names(self) -> list[str]:
        return list(self._params)

    @property
    def dists(self) -> list[Distribution]:
        return list(self._params.values())

    @property
    def kinds(self) -> list[str]:
        return [d.kind for d in self._params.values()]

    @property
    def conditions(self) -> Mapping[str, tuple[str, tuple[float, ...]]]:
        """Read-only ``{child: (parent, parent codes)}``: the codes are the parent's values
        in designs (a categorical's choice codes, an ordinal's levels), sorted."""
        return MappingProxyType(self._conditions)

    def with_default(self, default: Mapping[str, float]) -> "Space":
        """The same parameters and conditions with another ``default`` configuration."""
        return Space(self._params, default=default, conditions=self._condition_labels or None)

    @property
    def is_conditional(self) -> bool:
        """True when some parameter has a condition."""
        return bool(self._conditions)

    def active(self, X) -> np.ndarray:
        """``(n, d)`` boolean mask of the active entries of ``X`` (natural units): a
        parameter without a condition is always active; a child is active where its parent
        is active and takes one of the condition's values."""
        X = self._check_matrix(X, "X")
        act = np.ones(X.shape, dtype=bool)
        for child, parent, codes in self._order:
            act[:, child] = act[:, parent] & np.isin(X[:, parent], codes)
        return act

    def fix_inactive(self, X) -> np.ndarray:
        """A copy of ``X`` with every inactive entry set to that parameter's value in
        :meth:`default_point` (the fixed value designs hold; the problem ignores it)."""
        X = self._check_matrix(X, "X").copy()
        if self.is_conditional:
            inactive = ~self.active(X)
            X[inactive] = np.broadcast_to(self._fixed, X.shape)[inactive]
        return X

    def _check_matrix(self, A, what):
        try:
            A = np.asarray(A, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{what} must be a numeric array, got {type(A).__name__}") from None
        if A.ndim != 2 or A.shape[1] != len(self):
            raise ValueError(
                f"{what} must have shape (n, {len(self)}) for parameters {self.names}, "
                f"got shape {A.shape}"
            )
        return A

    def from_unit(self, U) -> np.ndarray:
        """Map an ``(n, d)`` array of unit values to natural units (inactive entries of a
        conditional space get their fixed value, :meth:`fix_inactive`)."""
        U = self._check_matrix(U, "U")
        bad = ~((U >= 0) & (U <= 1))
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"U must lie in [0, 1]; U[{i}, {j}] = {U[i, j]!r} ({self.names[j]})")
        X = self._map_unit(U)
        return self.fix_inactive(X) if self.is_conditional else X

    def _map_unit(self, U) -> np.ndarray:
        """Each column through its distribution (no conditions applied)."""
        X = np.empty_like(U)
        for j, dist in enumerate(self._params.values()):
            X[:, j] = dist.from_unit(U[:, j])
        return X

    def validate(self, X) -> np.ndarray:
        """Return ``X`` as a float array after checking its shape and support (an inactive
        entry may hold any value in the support: the problem ignores it)."""
        X = self._check_matrix(X, "X")
        for j, (name, dist) in enumerate(self._params.items()):
            inside = dist.contains(X[:, j])
            if not inside.all():
                i = int(np.argmin(inside))
                raise ValueError(
                    f"X[{i}, {j}] = {X[i, j]!r} is outside parameter {name!r} ~ {dist!r}"
                )
        return X

    def to_unit(self, X) -> np.ndarray:
        """Map an ``(n, d)`` array in natural units back to ``[0, 1]``."""
        X = self.validate(X)
        U = np.empty_like(X)
        for j, dist in enumerate(self._params.values()):
            U[:, j] = dist.to_unit(X[:, j])
        return np.clip(U, 0.0, 1.0)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` i.i.d. points in natural units."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if int(n) != n or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        return self.from_unit(rng.random((int(n), len(self))))
