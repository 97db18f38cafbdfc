"""check_estimator over every registered estimator, and proof that the check can fail."""
import numpy as np
import pytest

import benchsens as bs
from benchsens.testing import check_estimator, mixed_problem
from conftest import PACKAGE_ESTIMATORS


# SALib's delta analysis spends ~20 s CPU per call at 128 points (its bootstrap re-runs a
# KDE per resample in Python), and check_estimator analyses about six times.
_SLOW = {"salib.delta"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in _SLOW else n
                                  for n in PACKAGE_ESTIMATORS])
def test_registered_estimator_conforms(name):
    try:
        est = bs.get_estimator(name)
    except ImportError as exc:  # optional back end (e.g. optuna) not installed
        pytest.skip(f"{name}: {exc}")
    check_estimator(est)


class _Correlation(bs.Estimator):
    """A minimal correct given-data estimator: squared correlation of y with each U column."""

    name = "test_correlation"
    given_data = True

    def __init__(self, power: float = 2.0):
        self.power = power

    def _analyze(self, design, y, gradient):
        U = design.U - design.U.mean(0)
        corr = U.T @ (y - y.mean()) / (np.linalg.norm(U, axis=0) * np.linalg.norm(y - y.mean()) + 1e-300)
        return bs.Estimate(names=[], importance=np.abs(corr) ** self.power)


class _UnseededPlan(_Correlation):
    def _plan(self, space, budget, rng, gradient):
        return bs.Design.from_unit(space, np.random.default_rng().random((budget, len(space))))


class _Unpicklable(_Correlation):
    def __init__(self, power: float = 2.0, link=lambda v: v):
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


def test_a_correct_estimator_passes():
    check_estimator(_Correlation())


@pytest.mark.parametrize("broken, match", [
    (_UnseededPlan(), "same seed gave different results"),
    (_Unpicklable(), "pickle round trip failed"),
    (_ContinuousOnly(), "analyze on conformance_mixed raised RuntimeError"),
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
