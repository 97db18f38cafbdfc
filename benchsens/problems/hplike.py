"""Hyperparameter-like response surfaces on mixed spaces, with exact ground truth.

Each surface mimics the validation error of a learning algorithm as a smooth function of
its hyperparameters: log-uniform learning rates with a valley, integer depths and widths,
weighted categorical choices, ordinal grids, interactions, a dummy and a parameter that
matters only when another takes a given value (``hp_sgd`` and ``hp_svm_kernel`` declare it:
their spaces are conditional, and their functions never read an inactive value, so the
truth on the full product space is well defined). The truth is exact: Gauss-Legendre
quadrature in the unit variable over every continuous input (mapped through
``from_unit``) times enumeration of every discrete input's levels, then
:func:`benchsens.anova.grid_anova` on that tensor. Every continuous input enters through
functions analytic on a neighbourhood of its range, so the node counts below integrate to
machine precision (tests confirm against finer rules and Monte Carlo).
"""
from __future__ import annotations

import functools
import math

import numpy as np
from numpy.polynomial import legendre

from ..anova import grid_anova
from ..problem import GroundTruth, Problem
from ..registry import register_problem
from ..space import Categorical, Integer, LogUniform, Ordinal, Space, Uniform

__all__ = ["quadrature_grid", "quadrature_truth", "SURFACES"]

# Quadrature nodes per continuous input unless a surface says otherwise.
DEFAULT_NODES = 40
_CHUNK = 2**16
_MAX_CELLS = 10**7


def _softplus(t):
    return np.logaddexp(0.0, t)


def _sigmoid(t):
    return 0.5 * (1.0 + np.tanh(0.5 * t))


def quadrature_grid(space: Space, nodes: dict | None = None):
    """Per-input nodes (natural units) and probability weights of the truth tensor:
    Gauss-Legendre in ``u`` mapped by ``from_unit`` for continuous inputs (``nodes[name]``
    points, default ``DEFAULT_NODES``), the levels and their weights for discrete ones."""
    nodes = nodes or {}
    axes, weights = [], []
    for name, dist in space.items():
        if dist.discrete:
            axes.append(dist.levels)
            weights.append(dist.weights)
        else:
            t, w = legendre.leggauss(nodes.get(name, DEFAULT_NODES))
            axes.append(dist.from_unit((t + 1.0) / 2.0))
            weights.append(w / 2.0)
    return axes, weights


def quadrature_truth(space: Space, func, nodes: dict | None = None):
    """:func:`~benchsens.anova.grid_anova` (an ``AnovaResult``) of ``func`` tabulated on
    :func:`quadrature_grid`."""
    axes, weights = quadrature_grid(space, nodes)
    shape = tuple(a.size for a in axes)
    size = math.prod(shape)
    if size > _MAX_CELLS:
        raise ValueError(f"quadrature tensor of shape {shape} has {size} cells (> {_MAX_CELLS})")
    values = np.empty(size)
    for s in range(0, size, _CHUNK):
        idx = np.unravel_index(np.arange(s, min(s + _CHUNK, size)), shape)
        values[s : s + _CHUNK] = func(np.column_stack([a[i] for a, i in zip(axes, idx)]))
    return grid_anova(values.reshape(shape), weights)


# ----------------------------------------------------------------------------- surfaces


def _mlp_space():
    return Space({
        "lr": LogUniform(1e-5, 1.0),
        "batch_size": Ordinal([16, 32, 64, 128, 256, 512]),
        "optimizer": Categorical(["sgd", "adam", "rmsprop"], weights=[0.5, 0.3, 0.2]),
        "momentum": Uniform(0.0, 0.99),
        "n_layers": Integer(1, 6),
        "width": Ordinal([64, 128, 256, 512, 1024]),
        "num_workers": Integer(0, 3),
    })


# per optimizer code (sgd, adam, rmsprop)
_MLP_LOG_LR_AT_64 = np.array([-1.5, -3.0, -3.2])
_MLP_BATCH_SCALING = np.array([1.0, 0.5, 0.5])  # linear rule for SGD, square-root for adaptive
_MLP_CURVATURE = np.array([0.30, 0.15, 0.2])
_MLP_OFFSET = np.array([0.0, 0.02, 0.05])


def _mlp(X):
    """Validation cross-entropy of an MLP classifier.

    The optimal log10 learning rate depends on the optimizer and shifts with the batch
    size (linear scaling for SGD, square-root for Adam/RMSprop); the loss rises smoothly
    (and saturates) away from it, with an extra jump a decade past it (divergence).
    SGD's momentum raises the effective step (about 1.2 decades at 0.99) and rescues
    deep nets, so it matters only for SGD.
    Capacity (width, depth) cuts underfitting; small batches generalise slightly better.
    ``num_workers`` (data-loader processes) changes speed only: a dummy.
    """
    lr, batch, opt, momentum, layers, width = X[:, :6].T
    opt = opt.astype(int)
    sgd = opt == 0
    delta = (np.log10(lr) + 1.2 * momentum * sgd
             - _MLP_LOG_LR_AT_64[opt] - _MLP_BATCH_SCALING[opt] * np.log10(batch / 64.0))
    lr_term = (1.0 - np.exp(-_MLP_CURVATURE[opt] * delta**2)) + 1.2 * _sigmoid(3.0 * (delta - 1.2))
    capacity = np.log2(width) + 1.5 * np.log2(layers)
    underfit = 0.8 * np.exp(-0.35 * (capacity - 6.0))
    deep_sgd = 0.04 * (layers - 1.0) * sgd * (1.0 - momentum)
    return (0.25 + lr_term + underfit + deep_sgd + 0.02 * np.log2(batch / 16.0)
            + _MLP_OFFSET[opt])


def _boosting_space():
    return Space({
        "learning_rate": LogUniform(1e-3, 1.0),
        "n_estimators": Ordinal([50, 100, 200, 500, 1000, 2000]),
        "max_depth": Integer(1, 10),
        "subsample": Uniform(0.5, 1.0),
        "min_child_weight": Integer(1, 16, log=True),
        "n_jobs": Integer(1, 4),
    })


def _boosting(X):
    """Validation error of gradient-boosted trees.

    What matters is the total shrinkage ``log10(learning_rate * n_estimators)``: too
    little underfits, too much overfits (steeper), and its optimum falls as trees get
    deeper. A large learning rate is noisy whatever the number of trees. Depth has its
    own valley; ``min_child_weight`` (log-integer) regularises deep trees; ``subsample``
    has a mild optimum near 0.8. ``n_jobs`` changes run time only: a dummy.
    """
    lr, n_est, depth, subsample, mcw = X[:, :5].T
    shrink = np.log10(lr * n_est) - (1.6 - 0.12 * (depth - 4.0))
    return (0.10 + 0.03 * shrink**2 + 0.04 * _softplus(2.5 * (shrink - 0.8))
            + 0.03 * _softplus(3.0 * (np.log10(lr) + 0.7))
            + 0.004 * (depth - 6.0) ** 2
            + 0.006 * (np.log2(mcw) - 0.35 * (depth - 1.0)) ** 2
            + 0.1 * (subsample - 0.8) ** 2)


def _svm_space():
    return Space({
        "C": LogUniform(1e-3, 1e3),
        "gamma": LogUniform(1e-4, 10.0),
        "kernel": Categorical(["rbf", "poly", "linear"], weights=[0.5, 0.2, 0.3]),
        "degree": Integer(2, 5),
        "class_weight": Categorical(["none", "balanced"]),
        "shrinking": Categorical([True, False]),
    })


def _svm(X):
    """Validation error of a support vector classifier.

    RBF: a diagonal ridge of good ``(log C, log gamma)`` pairs (smoother kernels need a
    larger C) and overfitting once gamma is large. Poly: a ridge shifted down, plus a
    penalty for degrees away from 2-3 (``degree`` matters only for this kernel). Linear:
    only C matters. Balanced class weights help a little. ``shrinking`` is a solver
    heuristic that changes run time only: a dummy.
    """
    c, gamma, kernel, degree, balanced = X[:, :5].T
    x, g = np.log10(c), np.log10(gamma)
    rbf = (0.05 + 0.4 * (1.0 - np.exp(-0.05 * (x + g - 0.5) ** 2))
           + 0.25 * _sigmoid(3.0 * g) + 0.01 * (x - 1.0) ** 2 / 9.0)
    poly = 0.09 + 0.3 * (1.0 - np.exp(-0.04 * (x + g + 2.0) ** 2)) + 0.02 * (degree - 2.6) ** 2
    linear = 0.15 + 0.15 * (1.0 - np.exp(-0.1 * x**2))
    err = np.choose(kernel.astype(int), [rbf, poly, linear])
    return err - 0.01 * balanced


def _forest_space():
    return Space({
        "n_estimators": Ordinal([10, 25, 50, 100, 200, 500]),
        "max_features": Uniform(0.05, 1.0),
        "max_depth": Integer(2, 16, log=True),
        "min_samples_leaf": Integer(1, 8),
        "criterion": Categorical(["gini", "entropy", "log_loss"], weights=[0.5, 0.3, 0.2]),
        "bootstrap": Categorical([True, False], weights=[0.7, 0.3]),
        "max_samples": Uniform(0.3, 1.0),
    })


def _forest(X):
    """Validation error of a random forest: a mostly flat surface.

    ``max_features`` matters most (optimum near 0.3, sharp loss with too few features);
    shallow trees hurt a little; ``n_estimators`` is nearly a dummy (Monte Carlo error of
    the ensemble); entropy and log_loss are the same criterion. ``max_samples`` matters
    only with ``bootstrap=True``.
    """
    n_est, mf, depth, leaf, criterion, no_bootstrap, max_samples = X.T
    bootstrap = no_bootstrap == 0
    return (0.12 + 0.2 * (mf - 0.3) ** 2 + 0.02 * np.exp(-(mf - 0.05) / 0.05)
            + 0.03 * np.exp(-(depth - 2.0) / 3.0) + 0.002 * (leaf - 1.0)
            + 0.004 * np.sqrt(10.0 / n_est) - 0.003 * (criterion > 0)
            + bootstrap * 0.03 * (1.0 - max_samples) ** 2 + 0.005 * ~bootstrap)


def _sgd_space():
    return Space({
        "optimizer": Categorical(["sgd", "adam"], weights=[0.6, 0.4]),
        "lr": LogUniform(1e-5, 1.0),
        "momentum": Uniform(0.0, 0.99),
        "batch_size": Ordinal([32, 64, 128, 256]),
        "num_workers": Integer(0, 3),
    }, conditions={"momentum": ("optimizer", ["sgd"])})


def _sgd(X):
    """Validation loss of a network trained with SGD (with momentum) or Adam, on a
    conditional space: ``momentum`` exists only for SGD.

    SGD's heavy-ball momentum raises the effective step (two decades at 0.99), so the best
    learning rate falls as momentum rises, and it speeds up training (a penalty for little
    momentum). Each optimizer's best learning rate follows the batch size (linear scaling
    for SGD, square-root for Adam); the loss saturates away from it and jumps a decade
    past it (divergence). ``num_workers`` changes speed only: a dummy. The function never
    reads ``momentum`` for Adam.
    """
    opt, lr, momentum, batch = X[:, :4].T
    log_lr, log_batch = np.log10(lr), np.log10(batch / 64.0)

    def loss(delta, curvature):
        return 1.0 - np.exp(-curvature * delta**2) + _sigmoid(3.0 * (delta - 1.0))

    sgd = loss(log_lr + 2.0 * momentum + 1.0 - log_batch, 0.25) + 0.6 * (1.0 - momentum) ** 2
    adam = loss(log_lr + 3.0 - 0.5 * log_batch, 0.15) + 0.1
    return 0.2 + np.where(opt == 0, sgd, adam) + 0.02 * np.log2(batch / 32.0)


def _svm_kernel_space():
    return Space({
        "kernel": Categorical(["linear", "rbf", "poly"], weights=[0.3, 0.4, 0.3]),
        "C": LogUniform(1e-2, 1e3),
        "gamma": LogUniform(1e-4, 1.0),
        "degree": Integer(2, 5),
        "cache_size": Ordinal([100, 200, 500, 1000]),
    }, conditions={"gamma": ("kernel", ["rbf", "poly"]), "degree": ("kernel", ["poly"])})


def _svm_kernel(X):
    """Validation error of a support vector classifier on a conditional space: ``gamma``
    exists only for the rbf and poly kernels, ``degree`` only for poly.

    Linear: only C matters (a shallow valley). RBF: a diagonal ridge of good
    ``(log C, log gamma)`` pairs and overfitting once gamma is large. Poly: gamma enters
    raised to the degree, so the ridge's slope in ``log gamma`` grows with the degree, and
    degrees away from 2-3 fit worse. ``cache_size`` (kernel cache, MB) changes run time
    only: a dummy. Each kernel's branch reads only its own parameters.
    """
    kernel, c, gamma, degree = X[:, :4].T
    x, g = np.log10(c), np.log10(gamma)
    linear = 0.16 + 0.1 * (1.0 - np.exp(-0.2 * (x - 0.5) ** 2))
    rbf = 0.04 + 0.4 * (1.0 - np.exp(-0.08 * (x + g + 1.0) ** 2)) + 0.3 * _sigmoid(2.5 * (g + 0.5))
    poly = (0.07 + 0.35 * (1.0 - np.exp(-0.06 * (x + 0.6 * degree * (g + 2.0) - 1.0) ** 2))
            + 0.03 * (degree - 2.5) ** 2)
    return np.choose(kernel.astype(int), [linear, rbf, poly])


# name -> (space factory, function, quadrature nodes per continuous input, description)
SURFACES = {
    "hp_mlp": (_mlp_space, _mlp, {"lr": 40, "momentum": 12}, "MLP validation loss"),
    "hp_boosting": (_boosting_space, _boosting, {"learning_rate": 40, "subsample": 6},
                    "gradient boosting validation error"),
    "hp_svm": (_svm_space, _svm, {"C": 48, "gamma": 48}, "SVM validation error"),
    "hp_forest": (_forest_space, _forest, {"max_features": 40, "max_samples": 6},
                  "random forest validation error"),
    "hp_sgd": (_sgd_space, _sgd, {"lr": 48, "momentum": 24},
               "SGD/Adam validation loss, momentum for SGD only"),
    "hp_svm_kernel": (_svm_kernel_space, _svm_kernel, {"C": 48, "gamma": 48},
                      "SVM validation error, gamma for rbf/poly and degree for poly only"),
}
#: Tags beyond "hp-like" and "d=<d>".
_TAGS = {"hp_sgd": ("conditional",), "hp_svm_kernel": ("conditional",)}


@functools.lru_cache(maxsize=None)
def _truth(name: str) -> GroundTruth:
    """The surface's exact truth, computed once (immutable, so the cache can share it)."""
    space_factory, func, nodes, description = SURFACES[name]
    anova = quadrature_truth(space_factory(), func, nodes)
    rule = ", ".join(f"{k}: {v}" for k, v in nodes.items())
    return GroundTruth(
        first=anova.first, total=anova.total, second=anova.second, kind="exact",
        source=f"grid_anova over Gauss-Legendre quadrature in the unit variable ({rule} nodes) "
        f"x enumeration of every discrete level ({description}, benchsens.problems.hplike)",
        extras={"mean": anova.mean, "variance": anova.variance},
    )


def _problem(name: str) -> Problem:
    """A new Problem per call around the cached truth (editing one cannot affect another)."""
    space = SURFACES[name][0]()
    return Problem(name, space, SURFACES[name][1], _truth(name), tags=_tags(name, len(space)),
                   objective="loss")  # each mimics a validation error


def _tags(name: str, d: int) -> tuple:
    return ("hp-like", f"d={d}") + _TAGS.get(name, ())


def _register(name):
    d = len(SURFACES[name][0]())

    def factory() -> Problem:
        return _problem(name)

    factory.__name__ = name
    factory.__doc__ = SURFACES[name][1].__doc__
    register_problem(name, tags=_tags(name, d))(factory)


for _name in SURFACES:
    _register(_name)
