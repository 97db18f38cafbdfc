"""Declared option constraints, in the style of scikit-learn's ``_parameter_constraints``.

Every estimator class declares ``_parameter_constraints``: option name -> list of
constraints, any one of which makes a value valid. A constraint is an :class:`Interval`,
:class:`StrOptions`, :class:`HasMethods`, the string ``"boolean"`` or ``None`` (the value
None). :func:`validate_parameter_constraints` checks an estimator's options against them
and raises :class:`InvalidParameterError` with one line naming the estimator, the option,
what is allowed and the value given. :func:`invalid_values` derives values that break a
constraint list (used by ``benchsens.testing.check_estimator``).

Written here rather than importing scikit-learn's private ``sklearn.utils._param_validation``:
that module is not public API, it accepts ``True`` as an integer, and importing it loads
scikit-learn (``import benchsens`` stays light). The rules are the same everywhere:
integers must be integers (``3.0`` and ``True`` are refused), reals must be finite real
numbers (``True`` and NaN are refused), booleans must be ``bool``.
"""
from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

__all__ = ["InvalidParameterError", "Interval", "StrOptions", "HasMethods",
           "validate_parameter_constraints", "invalid_values"]


class InvalidParameterError(ValueError, TypeError):
    """An option has a value its estimator does not accept (a ValueError and a TypeError,
    as in scikit-learn, so either ``except`` catches it)."""


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return (isinstance(value, Real) and not isinstance(value, (bool, np.bool_))
            and math.isfinite(value))


class Interval:
    """Numbers of ``kind`` (``Integral`` or ``Real``) between ``left`` and ``right``
    (None: unbounded); ``closed`` is ``"left"``, ``"right"``, ``"both"`` or ``"neither"``."""

    def __init__(self, kind, left, right, *, closed: str):
        if kind not in (Integral, Real):
            raise ValueError(f"Interval kind must be Integral or Real, got {kind!r}")
        if closed not in ("left", "right", "both", "neither"):
            raise ValueError(f"Interval closed must be left/right/both/neither, got {closed!r}")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def _in_range(self, value) -> bool:
        if self.left is not None:
            if value < self.left or (value == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if value > self.right or (value == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def is_satisfied_by(self, value) -> bool:
        ok_type = _is_int(value) if self.kind is Integral else _is_real(value)
        return ok_type and self._in_range(value)

    def __str__(self):
        kind = "an int" if self.kind is Integral else "a float"
        lo = "-inf" if self.left is None else self.left
        hi = "inf" if self.right is None else self.right
        if self.left is not None and self.left == self.right:
            return f"{kind} equal to {lo}"
        lb = "[" if self.closed in ("left", "both") and self.left is not None else "("
        rb = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{kind} in the range {lb}{lo}, {hi}{rb}"

    def invalid(self) -> list:
        """Values of the right type just outside the range, and values of a wrong type."""
        out = []
        step = 1 if self.kind is Integral else 1e-9 * max(1.0, abs(self.left or 0), abs(self.right or 0))
        if self.left is not None:
            out.append(self.left if self.closed in ("right", "neither") else self.left - step)
        if self.right is not None:
            out.append(self.right if self.closed in ("left", "neither") else self.right + step)
        if self.kind is Integral:
            inside = self.left if self.left is not None and self.closed in ("left", "both") \
                else (self.left + 1 if self.left is not None else 1)
            out.append(float(inside))  # an integer-valued float is not an integer
        else:
            out.append(float("nan"))
        out.append(True)  # a bool is not a number
        return out


class StrOptions:
    """One of a set of strings."""

    def __init__(self, options):
        self.options = tuple(sorted(options))

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, str) and value in self.options

    def __str__(self):
        return f"a str among {{{', '.join(map(repr, self.options))}}}"

    def invalid(self) -> list:
        return ["not-" + "-".join(self.options), 1]


class HasMethods:
    """An object with the given methods (e.g. a scikit-learn regressor: fit, predict)."""

    def __init__(self, methods):
        self.methods = tuple(methods)

    def is_satisfied_by(self, value) -> bool:
        return all(callable(getattr(value, m, None)) for m in self.methods)

    def __str__(self):
        return f"an object implementing {', '.join(map(repr, self.methods))}"

    def invalid(self) -> list:
        return ["forest"]


class _Boolean:
    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, (bool, np.bool_))

    def __str__(self):
        return "a bool"

    def invalid(self) -> list:
        return [1, "yes"]


class _NoneValue:
    def is_satisfied_by(self, value) -> bool:
        return value is None

    def __str__(self):
        return "None"

    def invalid(self) -> list:
        return []


def _make(constraint):
    if constraint is None:
        return _NoneValue()
    if constraint == "boolean":
        return _Boolean()
    if isinstance(constraint, (Interval, StrOptions, HasMethods)):
        return constraint
    raise TypeError(f"unknown parameter constraint {constraint!r}")


def _describe(constraints) -> str:
    parts = [str(c) for c in constraints]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} or {parts[-1]}"


def validate_parameter_constraints(constraints: dict, params: dict, caller: str) -> None:
    """Raise :class:`InvalidParameterError` for the first option in ``params`` that
    satisfies none of its constraints, or that has no declared constraint at all."""
    for name, value in params.items():
        if name not in constraints:
            raise InvalidParameterError(
                f"{caller}: option {name!r} has no declared constraint "
                f"(add it to {caller}'s _parameter_constraints)")
        allowed = [_make(c) for c in constraints[name]]
        if not any(c.is_satisfied_by(value) for c in allowed):
            raise InvalidParameterError(
                f"{caller}: option {name!r} must be {_describe(allowed)}; got {value!r}")


def invalid_values(constraint_list) -> list:
    """Values that satisfy none of the constraints in ``constraint_list``."""
    allowed = [_make(c) for c in constraint_list]
    candidates = [v for c in allowed for v in c.invalid()] + [None, "x"]
    out = []
    for value in candidates:
        if not any(c.is_satisfied_by(value) for c in allowed) \
                and not any(value is v or (type(value) is type(v) and value == v) for v in out):
            out.append(value)
    return out
