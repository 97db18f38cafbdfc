"""Declared option constraints (benchsens.estimators._params) and their use by every estimator."""
import inspect
import math
from numbers import Integral, Real

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import benchsens as bs
from benchsens.estimators._params import (HasMethods, Interval, InvalidParameterError, StrOptions,
                                          invalid_values, validate_parameter_constraints)
from conftest import PACKAGE_ESTIMATORS


def test_integers_are_integers():
    c = Interval(Integral, 1, None, closed="left")
    assert c.is_satisfied_by(3) and c.is_satisfied_by(np.int64(3))
    for value in (3.0, np.float64(3.0), True, np.bool_(True), "3", None, 0, -2):
        assert not c.is_satisfied_by(value), value


def test_reals_are_finite_real_numbers():
    c = Interval(Real, 0.0, 1.0, closed="neither")
    assert c.is_satisfied_by(0.5) and c.is_satisfied_by(np.float32(0.5))
    for value in (0.0, 1.0, float("nan"), float("inf"), True, "0.5", None):
        assert not c.is_satisfied_by(value), value
    assert Interval(Real, 0, None, closed="left").is_satisfied_by(2)  # an int is a real number
    assert not Interval(Real, None, None, closed="neither").is_satisfied_by(float("inf"))


@given(st.integers(-5, 5), st.integers(-5, 5), st.sampled_from(["left", "right", "both", "neither"]),
       st.floats(-6, 6))
def test_interval_matches_its_definition(left, right, closed, value):
    c = Interval(Real, left, right, closed=closed)
    lo_ok = value > left or (value == left and closed in ("left", "both"))
    hi_ok = value < right or (value == right and closed in ("right", "both"))
    assert c.is_satisfied_by(value) == (lo_ok and hi_ok)


@pytest.mark.parametrize("constraint, text", [
    (Interval(Integral, 1, None, closed="left"), "an int in the range [1, inf)"),
    (Interval(Real, 0.0, 1.0, closed="neither"), "a float in the range (0.0, 1.0)"),
    (Interval(Real, 0.0, 1.0, closed="right"), "a float in the range (0.0, 1.0]"),
    (Interval(Integral, 0, 0, closed="both"), "an int equal to 0"),
    (StrOptions({"b", "a"}), "a str among {'a', 'b'}"),
    (HasMethods(["fit", "predict"]), "an object implementing 'fit', 'predict'"),
])
def test_descriptions(constraint, text):
    assert str(constraint) == text


def test_message_names_caller_option_allowed_values_and_value():
    constraints = {"n": [Interval(Integral, 2, None, closed="left"), None], "flag": ["boolean"]}
    with pytest.raises(InvalidParameterError) as info:
        validate_parameter_constraints(constraints, {"n": 2.0, "flag": True}, "est")
    assert str(info.value) == "est: option 'n' must be an int in the range [2, inf) or None; got 2.0"
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    with pytest.raises(InvalidParameterError, match="est: option 'flag' must be a bool; got 1"):
        validate_parameter_constraints(constraints, {"n": None, "flag": 1}, "est")
    with pytest.raises(InvalidParameterError, match="option 'other' has no declared constraint"):
        validate_parameter_constraints(constraints, {"other": 1}, "est")
    validate_parameter_constraints(constraints, {"n": 2, "flag": np.bool_(False)}, "est")


@pytest.mark.parametrize("constraints", [
    [Interval(Integral, 1, None, closed="left")],
    [Interval(Integral, 0, 0, closed="both"), Interval(Integral, 2, None, closed="left")],
    [Interval(Real, 0.0, 1.0, closed="neither")],
    [Interval(Real, 0.0, 0.5, closed="right"), None],
    [StrOptions({"x", "y"})],
    ["boolean"],
    [HasMethods(["fit"]), None],
])
def test_invalid_values_break_every_constraint(constraints):
    bad = invalid_values(constraints)
    assert bad, "no invalid value derived"
    for value in bad:
        with pytest.raises(InvalidParameterError):
            validate_parameter_constraints({"opt": constraints}, {"opt": value}, "est")


def test_invalid_values_include_the_edges_and_wrong_types():
    bad = invalid_values([Interval(Integral, 2, 9, closed="both")])
    assert 1 in bad and 10 in bad and 2.0 in bad and True in bad
    bad = invalid_values([Interval(Real, 0.0, 1.0, closed="neither")])
    assert 0.0 in bad and 1.0 in bad and any(isinstance(v, float) and math.isnan(v) for v in bad)


# -- every registered estimator ----------------------------------------------------------


def _classes():
    return [(name, type(bs.get_estimator(name))) for name in PACKAGE_ESTIMATORS]


@pytest.mark.parametrize("name, cls", _classes(), ids=[n for n in PACKAGE_ESTIMATORS])
def test_every_option_is_keyword_only_and_declared(name, cls):
    params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params), params
    assert cls._parameter_constraints is not None
    assert set(cls._parameter_constraints) == {p.name for p in params}
    # the defaults themselves are valid
    cls().validate_params()


@pytest.mark.parametrize("name, cls", _classes(), ids=[n for n in PACKAGE_ESTIMATORS])
def test_integer_valued_floats_are_refused_by_every_estimator(name, cls):
    # n_trees=3.0 and friends: one rule for every integer option of every estimator
    defaults = cls().get_params()
    integer_options = [opt for opt, cons in cls._parameter_constraints.items()
                       if any(isinstance(c, Interval) and c.kind is Integral for c in cons)]
    for opt in integer_options:
        value = float(defaults[opt]) if isinstance(defaults[opt], int) and defaults[opt] is not True else 3.0
        with pytest.raises(ValueError, match=f"{name}: option '{opt}' must be an int"):
            cls(**{opt: value}).validate_params()


def test_n_trees_three_point_zero_is_refused_by_every_forest_estimator():
    with_trees = [n for n in PACKAGE_ESTIMATORS if "n_trees" in type(bs.get_estimator(n))._parameter_constraints]
    assert {"fanova", "permutation", "mdi", "optuna.fanova", "optuna.mdi"} <= set(with_trees)
    for name in with_trees:
        with pytest.raises(ValueError, match=f"{name}: option 'n_trees'.*got 3.0"):
            bs.get_estimator(name, n_trees=3.0).validate_params()
