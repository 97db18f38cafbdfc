"""Toy problems and estimators for the harness tests.

A module (not a conftest) so worker processes and Dask workers can import it by name
(``imports = ["harness_toys"]`` in a spec, run with ``allow_imports=True``); the tests
directory reaches them through ``sys.path``, which the harness passes on to its workers.
"""
from __future__ import annotations

import os
import signal
import time
from numbers import Real

import numpy as np

import benchsens as bs
from benchsens.estimators._params import Interval

WEIGHTS = np.array([3.0, 2.0, 0.0])


@bs.register_problem("toy_linear", tags=("toy",))
def toy_linear(sleep: float = 0.0) -> bs.Problem:
    """3x1 + 2x2 + 0x3 on [0, 1]^3: S1 = ST = a_i^2 / sum a^2 (variance of a*U is a^2/12).
    ``sleep`` seconds per evaluation call make a cell take time."""

    def f(X):
        if sleep:
            time.sleep(sleep)
        return X @ WEIGHTS

    s = WEIGHTS**2 / np.sum(WEIGHTS**2)
    truth = bs.GroundTruth(first=s, total=s, kind="analytic",
                           source="linear function of independent uniforms: S_i = a_i^2 / sum_j a_j^2")
    def cost(X):  # pretend each evaluation took 1 + x1 seconds
        return 1.0 + X[:, 0]

    return bs.Problem("toy_linear", bs.Space.unit(3), f, truth, cost=cost, tags=("toy",),
                      params={"sleep": sleep})


@bs.register_problem("toy_broken", tags=("toy",))
def toy_broken() -> bs.Problem:
    """A problem whose evaluation always raises."""

    def f(X):
        raise RuntimeError("toy_broken evaluation failed on purpose")

    return bs.Problem("toy_broken", bs.Space.unit(3), f, tags=("toy",))


def _squared_correlation(design, y):
    U = design.U - design.U.mean(axis=0)
    yc = y - y.mean()
    denom = np.sqrt((U**2).sum(axis=0) * (yc**2).sum())
    return np.where(denom > 0, (U.T @ yc) / np.where(denom > 0, denom, 1.0), 0.0) ** 2


@bs.register_estimator
class ToyCorr(bs.Estimator):
    """Given data: squared correlation of each input with y (S1 of a linear function)."""

    name = "toy_corr"
    target = "first"
    given_data = True
    _parameter_constraints = {"sleep": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, sleep: float = 0.0):
        self.sleep = sleep

    def _analyze(self, design, y, gradient):
        if self.sleep:
            time.sleep(self.sleep)
        r2 = _squared_correlation(design, y)
        return bs.Estimate(design.space.names, r2, first=r2)


@bs.register_estimator
class ToyDesign(bs.Estimator):
    """Design only: its own stratified plan, the same analysis as ``toy_corr``."""

    name = "toy_design"
    target = "first"
    given_data = False

    def _plan(self, space, budget, rng, gradient):
        strata = (np.arange(budget)[:, None] + rng.random((budget, len(space)))) / budget
        return bs.Design.from_unit(space, rng.permuted(strata, axis=0))

    def _analyze(self, design, y, gradient):
        r2 = _squared_correlation(design, y)
        return bs.Estimate(design.space.names, r2, first=r2, total=r2)


@bs.register_estimator
class ToyRaise(bs.Estimator):
    name = "toy_raise"
    target = "first"
    given_data = True

    def _analyze(self, design, y, gradient):
        raise ValueError("toy_raise failed on purpose")


@bs.register_estimator
class ToyHang(bs.Estimator):
    """Never returns: a busy loop, as a runaway computation would."""

    name = "toy_hang"
    target = "first"
    given_data = True

    def _analyze(self, design, y, gradient):
        while True:
            pass


@bs.register_estimator
class ToyNaN(bs.Estimator):
    name = "toy_nan"
    target = "first"
    given_data = True

    def _analyze(self, design, y, gradient):
        return bs.Estimate(design.space.names, np.full(len(design.space), np.nan))


@bs.register_estimator
class ToyDie(bs.Estimator):
    """Its process dies by SIGKILL, as under the kernel's out-of-memory killer."""

    name = "toy_die"
    target = "first"
    given_data = True

    def _analyze(self, design, y, gradient):
        os.kill(os.getpid(), signal.SIGKILL)


def toy_spec(**overrides) -> dict:
    """A small valid spec over the toys."""
    spec = {
        "name": "toys",
        "imports": ["harness_toys"],
        "budgets": [16, 32],
        "seeds": 2,
        "timeout": 30,
        "problems": ["toy_linear"],
        "estimators": ["toy_corr", "toy_design"],
    }
    spec.update(overrides)
    return spec
