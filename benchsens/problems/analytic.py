"""Analytic test functions with closed-form Sobol' indices."""
from __future__ import annotations

import numpy as np

from ..registry import register_problem
from ..problem import GroundTruth, Problem
from ..space import Space, Uniform


def _ishigami_truth(a: float, b: float) -> GroundTruth:
    # Ishigami & Homma (1990); closed forms in Sobol' & Levitan (1999), Saltelli et al. (2008) p.179
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    second = np.zeros((3, 3))
    second[0, 2] = second[2, 0] = v13 / v
    return GroundTruth(
        first=[v1 / v, v2 / v, 0.0],
        total=[(v1 + v13) / v, v2 / v, v13 / v],
        second=second,
        kind="analytic",
        source="Ishigami & Homma (1990); variance decomposition in Saltelli et al. (2008), Global Sensitivity Analysis: The Primer, sec. 4.9",
        extras={"variance": v},
    )


@register_problem("ishigami", tags=("analytic", "d=3"))
def ishigami(a: float = 7.0, b: float = 0.1) -> Problem:
    """Ishigami function on [-pi, pi]^3: sin x1 + a sin^2 x2 + b x3^4 sin x1."""
    a, b = float(a), float(b)
    space = Space({f"x{i}": Uniform(-np.pi, np.pi) for i in (1, 2, 3)})

    def f(X):
        return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])

    def grad(X):
        x1, x2, x3 = X.T
        return np.column_stack(
            [
                np.cos(x1) * (1 + b * x3**4),
                2 * a * np.sin(x2) * np.cos(x2),
                4 * b * x3**3 * np.sin(x1),
            ]
        )

    return Problem("ishigami", space, f, _ishigami_truth(a, b), gradient=grad,
                   tags=("analytic", "d=3"), params={"a": a, "b": b})
