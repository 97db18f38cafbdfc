import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import benchsens as bs


def test_kinds_map_unit_interval():
    space = bs.Space({
        "lr": bs.LogUniform(1e-4, 1e-1),
        "x": bs.Uniform(-1, 2),
        "z": bs.Normal(1.0, 2.0),
        "depth": bs.Integer(1, 8),
        "width": bs.Integer(16, 512, log=True),
        "bs": bs.Ordinal([16, 32, 64], weights=[0.2, 0.3, 0.5]),
        "opt": bs.Categorical(["sgd", "adam"], weights=[0.3, 0.7]),
    })
    assert len(space) == 7
    X = space.sample(20000, np.random.default_rng(0))
    space.validate(X)
    assert np.all(np.isin(X[:, 3], np.arange(1, 9)))
    assert np.all(np.isin(X[:, 6], [0, 1]))
    # weights are respected
    assert abs(np.mean(X[:, 6] == 1) - 0.7) < 0.02
    assert abs(np.mean(X[:, 5] == 64) - 0.5) < 0.02
    # log-uniform: log10(lr) is uniform on [-4, -1]
    assert abs(np.mean(np.log10(X[:, 0])) - (-2.5)) < 0.03
    assert abs(np.mean(X[:, 2]) - 1.0) < 0.05
    # round trip
    np.testing.assert_allclose(space.from_unit(space.to_unit(X)), X, rtol=1e-9)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: bs.Uniform(1, 1), "low < high"),
        (lambda: bs.LogUniform(0, 1), "positive"),
        (lambda: bs.LogUniform(-1, 1), "positive"),
        (lambda: bs.Normal(0, 0), "std > 0"),
        (lambda: bs.Integer(3, 2), "low < high"),
        (lambda: bs.Integer(1.5, 4), "integer bounds"),
        (lambda: bs.Categorical(["a", "b"], weights=[0.5, 0.6]), "sum to 1"),
        (lambda: bs.Ordinal([1, 2], weights=[1.0]), "1 entries for 2 levels"),
        (lambda: bs.Ordinal([2, 1]), "increasing"),
        (lambda: bs.Categorical(["a", "a"]), "distinct"),
        (lambda: bs.Space({}), "non-empty"),
    ],
)
def test_bad_distributions_name_the_value(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_bad_matrices_name_the_problem():
    space = bs.Space({"a": bs.Uniform(0, 1), "b": bs.Integer(1, 3)})
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        space.validate(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="outside parameter 'b'"):
        space.validate([[0.5, 7]])
    with pytest.raises(ValueError, match=r"U\[0, 0\]"):
        space.from_unit([[1.5, 0.1]])
    with pytest.raises(TypeError, match="Generator"):
        space.sample(3, 0)


finite_levels = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=8, unique=True).map(sorted)
weights_strategy = st.lists(st.floats(0.01, 1.0), min_size=1, max_size=8)


@st.composite
def distributions(draw):
    kind = draw(st.sampled_from(["uniform", "log", "normal", "int", "intlog", "ordinal", "cat"]))
    if kind == "uniform":
        lo = draw(st.floats(-1e6, 1e6))
        return bs.Uniform(lo, lo + draw(st.floats(1e-3, 1e6)))
    if kind == "log":
        lo = draw(st.floats(1e-8, 1e3))
        return bs.LogUniform(lo, lo * draw(st.floats(1.01, 1e6)))
    if kind == "normal":
        return bs.Normal(draw(st.floats(-1e3, 1e3)), draw(st.floats(1e-3, 1e3)))
    if kind in ("int", "intlog"):
        lo = draw(st.integers(1, 1000))
        return bs.Integer(lo, lo + draw(st.integers(1, 1000)), log=kind == "intlog")
    levels = draw(finite_levels)
    w = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=len(levels), max_size=len(levels))))
    w = w / w.sum()
    if kind == "ordinal":
        return bs.Ordinal(levels, weights=w)
    return bs.Categorical([str(v) for v in levels], weights=w)


@settings(max_examples=150, deadline=None)
@given(dist=distributions(), u=st.lists(st.floats(0, 1), min_size=1, max_size=50))
def test_round_trip_and_bounds(dist, u):
    space = bs.Space({"p": dist})
    U = np.array(u)[:, None]
    X = space.from_unit(U)
    space.validate(X)  # in bounds
    X2 = space.from_unit(space.to_unit(X))
    np.testing.assert_allclose(X2, X, rtol=1e-7, atol=1e-9 * (1 + np.abs(X)).max())
    if dist.discrete:
        assert np.isclose(dist.weights.sum(), 1.0)
        # the cell of level k has width weights[k]
        edges = np.concatenate([[0], np.cumsum(dist.weights)])
        mids = 0.5 * (edges[:-1] + edges[1:])
        np.testing.assert_array_equal(dist.from_unit(mids), dist.levels)


@settings(max_examples=50, deadline=None)
@given(w=weights_strategy)
def test_weights_must_sum_to_one(w):
    w = np.array(w)
    if abs(w.sum() - 1) > 1e-6:
        with pytest.raises(ValueError, match="sum to 1"):
            bs.Categorical(list(range(len(w))), weights=w)
    w = w / w.sum()
    cat = bs.Categorical(list(range(len(w))), weights=w)
    codes = cat.from_unit(np.random.default_rng(0).random(40000))
    freq = np.bincount(codes.astype(int), minlength=len(w)) / codes.size
    assert np.all(np.abs(freq - w) < 0.02)
