"""Functional ANOVA over a random forest (Hutter, Hoos & Leyton-Brown, ICML 2014), exact
per tree and vectorised.

A regression tree fitted on the unit design ``U`` is constant on axis-aligned boxes (its
leaves) that partition ``[0, 1]^d``. The unit transform makes every input U(0, 1) and
independent, so the tree's variance decomposition is an exact finite sum:

* mean and variance: leaf volumes times values;
* main effect of input ``i``: ``E[f | x_i]`` is a step function on the cells between the
  tree's split points on ``i``; each leaf adds ``value * volume / width_i`` to the cells it
  covers, summed with a difference array and a cumulative sum (``O(leaves + cells)``);
* pair ``(i, j)``: the same on the 2-D grid of split points of ``i`` and ``j``; the closed
  pair variance minus both main effects is ``V_ij``.

As Hutter et al. do, per-tree fractions ``V_i / V`` and ``V_ij / V`` are averaged over the
trees (trees with ``V = 0`` are skipped).

``first`` is the main-effect fraction (fANOVA's importance, and ``importance`` here);
``second`` the pairwise fractions; ``extras["first_plus_pairwise"]`` is
``first_i + sum_j second_ij``, a lower approximation of ST (interactions of order three
and more are left out), so it is not reported as ``total``.

Discrete inputs: the forest is fitted on the midpoint of each level's unit cell (width =
weight; ``Design.unit_at_levels``),
and a split between two neighbouring levels is moved to the edge between their cells,
which changes no prediction on the data but makes the cell volumes equal the level
probabilities. Categorical codes are split like ordered levels (trees group contiguous
codes); the decomposition is still exact for the fitted trees.
"""
from __future__ import annotations

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

from ..registry import register_estimator
from ..space import Space
from ._params import StrOptions
from .base import Design, Estimate
from .forest import FOREST_CONSTRAINTS, SeededGivenData

__all__ = ["Fanova", "leaf_boxes", "forest_anova"]

_FORESTS = {"random_forest": RandomForestRegressor, "extra_trees": ExtraTreesRegressor}


def leaf_boxes(trees, d: int, snap=None):
    """Leaf boxes of fitted scikit-learn trees (``estimator.tree_`` objects):
    ``(lower, upper, value, tree)`` with ``lower``/``upper`` of shape ``(n_leaves, d)``
    inside ``[0, 1]^d``, leaves ordered by ``tree`` (index into ``trees``).

    The node arrays of all trees are joined and processed one depth level at a time, so
    the work is vectorised over the nodes of a level. ``snap`` maps an input index to a
    function moving its thresholds (for discrete inputs).
    """
    sizes = np.array([t.node_count for t in trees])
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    shift = np.repeat(offset, sizes)
    left = np.concatenate([t.children_left for t in trees]).astype(np.int64)
    right = np.concatenate([t.children_right for t in trees]).astype(np.int64)
    left = np.where(left >= 0, left + shift, -1)
    right = np.where(right >= 0, right + shift, -1)
    feature = np.concatenate([t.feature for t in trees])
    threshold = np.concatenate([t.threshold for t in trees]).astype(float)
    value = np.concatenate([t.value[:, 0, 0] for t in trees]).astype(float)
    for i, move in (snap or {}).items():
        on_i = (feature == i) & (left >= 0)
        threshold[on_i] = move(threshold[on_i])
    lower = np.zeros((shift.size, d))
    upper = np.ones((shift.size, d))
    level = offset
    while level.size:
        split = level[left[level] >= 0]
        lo_child, hi_child = left[split], right[split]
        f, t = feature[split], threshold[split]
        lower[lo_child] = lower[hi_child] = lower[split]
        upper[lo_child] = upper[hi_child] = upper[split]
        upper[lo_child, f] = t
        lower[hi_child, f] = t
        level = np.concatenate([lo_child, hi_child])
    leaves = left < 0
    tree = np.repeat(np.arange(len(trees)), sizes)
    return lower[leaves], upper[leaves], value[leaves], tree[leaves]


def _cells(points, tree, n_trees):
    """Per-tree grids of one input's split points.

    ``points`` are leaf bounds with their ``tree``; returns each point's cell-edge index
    within its tree and the padded edges ``(n_trees, k_max + 1)`` (padding repeats 1.0, so
    padded cells have zero width).
    """
    order = np.lexsort((points, tree))
    p, t = points[order], tree[order]
    new = np.ones(p.size, bool)
    new[1:] = (p[1:] != p[:-1]) | (t[1:] != t[:-1])
    uid = np.cumsum(new) - 1
    start = uid[np.searchsorted(t, np.arange(n_trees))]  # first unique id of each tree
    local = np.empty(p.size, np.int64)
    local[order] = uid - start[t]
    u_tree = t[new]
    u_pos = np.arange(u_tree.size) - start[u_tree]
    edges = np.ones((n_trees, u_pos.max() + 1))
    edges[u_tree, u_pos] = p[new]
    return local, edges


def _closed_pair_by_rows(a_i, b_i, a_j, b_j, c, cells_i, cells_j, max_cells):
    """``integral of E[f | x_i, x_j]^2`` for one tree (centred), its 2-D grid built a block
    of rows at a time (at most ``max_cells`` cells), the running column sums carried over."""
    kj = cells_j.size + 1
    rows = np.concatenate([a_i, b_i, a_i, b_i])
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    cols = np.concatenate([a_j, a_j, b_j, b_j])[order]
    weights = np.concatenate([c, -c, -c, c])[order]
    block = max(1, max_cells // kj)
    carry = np.zeros(kj)
    closed = 0.0
    for r0 in range(0, cells_i.size, block):
        r1 = min(r0 + block, cells_i.size)
        s = slice(np.searchsorted(rows, r0), np.searchsorted(rows, r1))
        grid = np.bincount((rows[s] - r0) * kj + cols[s], weights[s], (r1 - r0) * kj)
        grid = grid.astype(float, copy=False).reshape(r1 - r0, kj)  # float even when empty
        np.cumsum(grid, axis=1, out=grid)
        grid[0] += carry
        np.cumsum(grid, axis=0, out=grid)
        carry = grid[-1].copy()
        closed += cells_i[r0:r1] @ np.square(grid[:, :-1]) @ cells_j
    return closed


def forest_anova(lower, upper, value, tree, n_trees: int, pairwise: bool = True,
                 max_cells: int = 2**22):
    """Exact variance decomposition of each tree, a function constant on boxes of
    ``[0, 1]^d`` (the output of :func:`leaf_boxes`), under the uniform distribution.

    Returns ``V`` ``(n_trees,)``, main-effect variances ``V_i`` ``(n_trees, d)`` and pure
    pair variances ``V_ij`` ``(n_trees, d, d)`` (zero when ``pairwise`` is False).
    Vectorised over trees; pair grids are built in chunks of at most ``max_cells`` cells
    (a single tree's grid larger than that is streamed by blocks of rows).
    """
    n_leaves, d = lower.shape
    width = upper - lower
    volume = width.prod(axis=1)
    mean = np.bincount(tree, value * volume, n_trees)
    mass = (value - mean[tree]) * volume  # centred: every marginal has mean 0
    variance = np.bincount(tree, mass * (value - mean[tree]), n_trees)
    mains = np.zeros((n_trees, d))
    pairs = np.zeros((n_trees, d, d))
    grids = {}
    for i in range(d):
        local, edges = _cells(np.concatenate([lower[:, i], upper[:, i]]), np.tile(tree, 2), n_trees)
        if edges.shape[1] < 3:  # no tree splits on input i
            continue
        a, b = local[:n_leaves], local[n_leaves:]
        cells = np.diff(edges, axis=1)
        grids[i] = a, b, cells
        k = edges.shape[1]
        c = np.divide(mass, width[:, i], out=np.zeros(n_leaves), where=width[:, i] > 0)
        diff = np.bincount(np.concatenate([tree * k + a, tree * k + b]),
                           np.concatenate([c, -c]), n_trees * k)
        marginal = diff.reshape(n_trees, k).cumsum(axis=1)[:, :-1]
        mains[:, i] = np.einsum("tk,tk->t", cells, marginal**2)
    if not pairwise:
        return variance, mains, pairs
    first_leaf = np.searchsorted(tree, np.arange(n_trees + 1))
    split_on = sorted(grids)
    for p, i in enumerate(split_on):
        a_i, b_i, cells_i = grids[i]
        ki = cells_i.shape[1] + 1
        for j in split_on[p + 1:]:
            a_j, b_j, cells_j = grids[j]
            kj = cells_j.shape[1] + 1
            w_ij = width[:, i] * width[:, j]
            c = np.divide(mass, w_ij, out=np.zeros(n_leaves), where=w_ij > 0)
            if ki * kj > max_cells:  # one tree's grid is too big: stream its rows
                for t in range(n_trees):
                    s = slice(first_leaf[t], first_leaf[t + 1])
                    closed = _closed_pair_by_rows(a_i[s], b_i[s], a_j[s], b_j[s], c[s],
                                                  cells_i[t], cells_j[t], max_cells)
                    pairs[t, i, j] = pairs[t, j, i] = closed - mains[t, i] - mains[t, j]
                continue
            chunk = max_cells // (ki * kj)
            for t0 in range(0, n_trees, chunk):
                t1 = min(t0 + chunk, n_trees)
                s = slice(first_leaf[t0], first_leaf[t1])
                base = (tree[s] - t0) * (ki * kj)
                corners = np.concatenate([base + a_i[s] * kj + a_j[s], base + b_i[s] * kj + a_j[s],
                                          base + a_i[s] * kj + b_j[s], base + b_i[s] * kj + b_j[s]])
                weights = np.concatenate([c[s], -c[s], -c[s], c[s]])
                grid = np.bincount(corners, weights, (t1 - t0) * ki * kj).reshape(t1 - t0, ki, kj)
                np.cumsum(grid, axis=2, out=grid)
                np.cumsum(grid, axis=1, out=grid)
                marginal = np.square(grid[:, :-1, :-1])
                closed = (cells_i[t0:t1, None, :] @ marginal @ cells_j[t0:t1, :, None])[:, 0, 0]
                pairs[t0:t1, i, j] = pairs[t0:t1, j, i] = closed - mains[t0:t1, i] - mains[t0:t1, j]
    return variance, mains, pairs


def _snappers(space: Space):
    """For each discrete input: move a threshold between two level midpoints to the edge
    between their unit cells."""
    out = {}
    for i, dist in enumerate(space.dists):
        if dist.discrete:
            edges = np.concatenate([[0.0], np.cumsum(dist.weights)])
            edges[-1] = 1.0
            mids = 0.5 * (edges[:-1] + edges[1:])
            out[i] = lambda t, e=edges, m=mids: e[np.clip(np.searchsorted(m, t), 1, m.size - 1)]
    return out


@register_estimator
class Fanova(SeededGivenData):
    """fANOVA main effects (``importance`` = ``first``) and pairwise terms (``second``)
    from a random forest fitted on the unit design; exact per tree.

    ``target = "first"``: the importance is the forest's main-effect variance fraction,
    an estimate of ``S1`` (as in Hutter et al. 2014 and Optuna). ``extras``:
    ``first_plus_pairwise`` (with ``pairwise``), a lower approximation of ST;
    ``first_std``, the spread of the per-tree fractions.

    Options: ``n_trees``, ``max_depth``, ``min_samples_leaf`` (defaults as Optuna's
    ``FanovaImportanceEvaluator``), ``forest`` (``"random_forest"`` or ``"extra_trees"``),
    ``pairwise`` (compute ``second``), ``seed`` (for designs not planned here).

    Limitations
    -----------
    The decomposition is exact for the forest, not for the function: a forest fitted on
    few points smooths small effects away and adds spurious ones. First-order only as
    importance; inputs acting through interactions rank low. Pairwise terms cost
    ``O(d^2)`` grids per tree.
    """

    name = "fanova"
    version = "2"
    target = "first"
    _parameter_constraints = {
        "forest": [StrOptions(set(_FORESTS))],
        "pairwise": ["boolean"],
        **FOREST_CONSTRAINTS,
    }

    def __init__(self, *, n_trees: int = 64, max_depth: int | None = 64, min_samples_leaf: int = 1,
                 forest: str = "random_forest", pairwise: bool = True, seed: int = 0):
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.forest = forest
        self.pairwise = pairwise
        self.seed = seed

    def _model(self, seed):
        return _FORESTS[self.forest](n_estimators=self.n_trees, max_depth=self.max_depth,
                                     min_samples_leaf=self.min_samples_leaf, random_state=seed)

    def _analyze(self, design: Design, y: np.ndarray, gradient) -> Estimate:
        seed = self._random_state(design)
        forest = self._model(seed).fit(design.unit_at_levels(), y)
        d = len(design.space)
        snap = _snappers(design.space)
        trees = [est.tree_ for est in forest.estimators_]
        variance, mains, pairs = forest_anova(*leaf_boxes(trees, d, snap), len(trees),
                                              pairwise=bool(self.pairwise))
        used = variance > 0
        fractions = mains[used] / variance[used, None]
        names = design.space.names
        if not used.any():  # every tree is constant: nothing explains anything
            zero = np.zeros(d)
            return Estimate(names, zero, first=zero, extras={"n_trees_used": 0})
        first = fractions.mean(axis=0)
        extras = {"first_std": fractions.std(axis=0), "n_trees_used": int(used.sum()),
                  "random_state": seed}
        if not self.pairwise:
            return Estimate(names, first, first=first, extras=extras)
        second = (pairs[used] / variance[used, None, None]).mean(axis=0)
        extras["first_plus_pairwise"] = first + second.sum(axis=1)  # third and higher orders left out
        return Estimate(names, first, first=first, second=second, extras=extras)
