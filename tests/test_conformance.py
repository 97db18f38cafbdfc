"""check_estimator over every registered estimator, and proof that the check can fail."""
import inspect

import numpy as np
import pytest

import benchsens as bs
from numbers import Real

from benchsens.estimators._params import HasMethods, Interval
from benchsens.testing import check_estimator, mixed_problem
from conftest import PACKAGE_ESTIMATORS


# SALib's delta analysis spends ~20 s CPU per call at 128 points (its bootstrap re-runs a
# KDE per resample in Python), and check_estimator analyses about six times.
_SLOW = {"salib.delta"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in _SLOW else n
                                  for n in PACKAGE_ESTIMATORS])
def test_registered_estimator_conforms(name):
    # no skip: the optional back ends (optuna) are in the test extra, a missing one must fail
    check_estimator(bs.get_estimator(name))


@pytest.mark.parametrize("name", PACKAGE_ESTIMATORS)
def test_every_estimator_documents_its_target_and_ends_with_limitations(name):
    cls = type(bs.get_estimator(name))
    lines = inspect.getdoc(cls).splitlines()
    assert f'target = "{cls.target}"' in " ".join(lines), "the docstring must state the target and why"
    headers = [k for k in range(1, len(lines)) if set(lines[k].strip()) == {"-"}]
    assert headers and lines[headers[-1] - 1].strip() == "Limitations", "the last section must be Limitations"
    assert len(lines) > headers[-1] + 1, "an empty Limitations section"


def test_an_unknown_target_is_refused_when_the_class_is_defined():
    with pytest.raises(TypeError, match="target must be one of .*got 'sobol'"):
        type("Bad", (bs.Estimator,), {"target": "sobol"})


class _Correlation(bs.Estimator):
    """A minimal correct given-data estimator: squared correlation of y with each U column."""

    name = "test_correlation"
    target = "dependence"
    given_data = True
    _parameter_constraints = {"power": [Interval(Real, 0.5, None, closed="left")]}

    def __init__(self, *, power: float = 2.0):
        self.power = power

    def _analyze(self, design, y, gradient):
        U = design.U - design.U.mean(0)
        corr = U.T @ (y - y.mean()) / (np.linalg.norm(U, axis=0) * np.linalg.norm(y - y.mean()) + 1e-300)
        return bs.Estimate(names=[], importance=np.abs(corr) ** self.power)


class _UnseededPlan(_Correlation):
    def _plan(self, space, budget, rng, gradient):
        return bs.Design.from_unit(space, np.random.default_rng().random((budget, len(space))))


class _Unpicklable(_Correlation):
    _parameter_constraints = {**_Correlation._parameter_constraints, "link": [HasMethods(["__call__"])]}

    def __init__(self, *, power: float = 2.0, link=lambda v: v):
        self.power = power
        self.link = link


class _ContinuousOnly(_Correlation):
    def _analyze(self, design, y, gradient):
        est = super()._analyze(design, y, gradient)
        with np.errstate(invalid="ignore", divide="ignore"):  # NaN for inputs <= 0
            est.importance = est.importance * np.log(design.X).sum(0)
        return est


class _OverBudget(_Correlation):
    def plan(self, space, budget, rng, gradient=False):
        return bs.Design.from_unit(space, rng.random((budget + 1, len(space))))


class _SwallowsNaN(_Correlation):
    def analyze(self, design, y, gradient=None):
        return super().analyze(design, np.nan_to_num(np.asarray(y, float)), gradient)


class _Undeclared(_Correlation):
    target = ""


class _ValidatesInInit(_Correlation):
    def __init__(self, *, power: float = 2.0):
        if power < 0.5:
            raise ValueError("power too small")
        self.power = power


class _Positional(_Correlation):
    def __init__(self, power: float = 2.0):
        self.power = power


class _ConvertsInInit(_Correlation):
    def __init__(self, *, power: float = 2.0):
        self.power = power * 1.0  # a new object: not the value given


class _AcceptsAnyPower(_Correlation):
    _parameter_constraints = {"power": [Interval(Real, None, None, closed="neither")]}

    def validate_params(self):  # declares a range but never checks it
        pass


class _SilentAboutOption(_Correlation):
    def validate_params(self):
        if self.power < 0.5:
            raise ValueError("bad value")


class _Undocumented(_Correlation):
    _parameter_constraints = {}


class _BoundAsTotal(_Correlation):
    """Reports a quantity that is not on the Sobol' scale as ``total``."""

    def _analyze(self, design, y, gradient):
        est = super()._analyze(design, y, gradient)
        est.total = 4 * est.importance / est.importance.max()
        return est


class _NoConstantConvention(_Correlation):
    def _analyze(self, design, y, gradient):
        est = super()._analyze(design, y, gradient)
        est.importance = est.importance + 1.0
        return est


class _FreeGradient(_Correlation):
    """Uses a gradient but hides its charge."""

    uses_gradient = True
    given_data = False

    def _plan(self, space, budget, rng, gradient):
        return bs.Design.from_unit(space, rng.random((budget, len(space))))

    def analyze(self, design, y, gradient=None):
        est = super().analyze(design, y, gradient)
        est.n_evals = len(design)
        return est


def test_a_correct_estimator_passes():
    check_estimator(_Correlation())


@pytest.mark.parametrize("broken, match", [
    (_Undeclared(), "target='' is not declared"),
    (_ValidatesInInit(), "__init__ raised ValueError for power=0.4"),
    (_Positional(), "must be keyword-only"),
    (_ConvertsInInit(), r"must store options unchanged.*\['power'\]"),
    (_AcceptsAnyPower(), "accepted the invalid option power="),
    (_SilentAboutOption(), "without naming the estimator and the option"),
    (_Undocumented(), "option 'power' has no declared constraint"),
    (_BoundAsTotal(), "total must hold Sobol'-scale estimates"),
    (_NoConstantConvention(), "a constant output must give importance = 0"),
    (_FreeGradient(), "gradients charged 1 evaluations each"),
], ids=lambda v: type(v).__name__ if isinstance(v, bs.Estimator) else "")
def test_the_new_checks_can_fail(broken, match):
    with pytest.raises(AssertionError, match=match):
        check_estimator(broken)


@pytest.mark.parametrize("broken, match", [
    (_UnseededPlan(), "same seed gave different results"),
    (_Unpicklable(), "pickle round trip failed"),
    (_ContinuousOnly(), "on conformance_mixed raised RuntimeError"),
    (_OverBudget(), "planned 129 evaluations for budget=128"),
    (_SwallowsNaN(), "NaN in y did not raise ValueError"),
])
def test_a_broken_estimator_fails(broken, match):
    with pytest.raises(AssertionError, match=match):
        check_estimator(broken)


def test_mixed_problem_has_every_kind_and_no_truth():
    p = mixed_problem()
    assert p.truth is None
    assert set(p.space.kinds) == {"uniform", "loguniform", "normal", "integer", "ordinal", "categorical"}
    y = p.evaluate(p.space.sample(100, np.random.default_rng(0)))
    assert np.all(np.isfinite(y)) and np.std(y) > 0


class _MutatesOptions(_Correlation):
    def _analyze(self, design, y, gradient):
        self.power = self.power + 1  # state leaks from one analysis into the next
        return super()._analyze(design, y, gradient)


def test_an_estimator_that_changes_its_options_fails():
    with pytest.raises(AssertionError, match="same seed gave different results|changed the options"):
        check_estimator(_MutatesOptions())
