"""Our grids' memory.csv (peak traced memory of one fit) and the conditional grid svc_digits_kernels.

memory.csv is checked against table.csv (same configurations, same order) and against the
loader; the conditional grid's tables must be exactly constant along an inactive parameter.
The slow tests re-run the recipes' own functions on a few configurations.
"""
import csv
import importlib.util
import itertools
import os
import shutil
import sys
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from benchsens.problems import real_sklearn

GRIDS = Path(str(files("benchsens.grids")))
OURS = real_sklearn.grid_names()
KERNELS = "svc_digits_kernels"


def _rows(name, filename):
    with open(GRIDS / name / filename, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _axes(name):
    return [a["name"] for a in real_sklearn.read_meta(name)["axes"]]


@pytest.mark.parametrize("name", OURS)
def test_memory_csv_is_the_full_grid_of_table_csv(name):
    axes = _axes(name)
    header, rows = _rows(name, "memory.csv")
    assert header == axes + ["peak_mib"]
    t_header, t_rows = _rows(name, "table.csv")
    cols = [t_header.index(a) for a in axes]
    # the same configurations as text, in the same order
    assert [r[:len(axes)] for r in rows] == [[t[c] for c in cols] for t in t_rows]
    peaks = np.array([float(r[-1]) for r in rows])
    assert np.all(np.isfinite(peaks)) and np.all(peaks > 0)
    memory = real_sklearn.read_meta(name)["memory"]
    for key in ("measures", "not_seen", "build_time", "build_seconds", "python_version",
                "numpy_version", "sklearn_version"):
        assert key in memory, key
    # one fit per distinct active configuration: all of them, fewer on a conditional grid
    space = real_sklearn.load_grid(name)[0]
    X = np.array(list(itertools.product(*[d.levels for d in space.dists])))
    assert memory["n_measured"] == len(np.unique(space.fix_inactive(X), axis=0))


@pytest.mark.parametrize("name", OURS)
def test_load_memory_shape_and_values(name):
    space, loss, _, _, _ = real_sklearn.load_grid(name)
    mem = real_sklearn.load_memory(name)
    assert mem.shape == loss.shape[:-1] + (1,) and not mem.flags.writeable
    assert real_sklearn.load_memory(name) is mem  # cached
    # memory.csv is in table (product) order, so a plain reshape is an independent placement
    _, rows = _rows(name, "memory.csv")
    np.testing.assert_array_equal(mem[..., 0], np.array([float(r[-1]) for r in rows]).reshape(loss.shape[:-1]))


@pytest.fixture
def fake_grids(tmp_path, monkeypatch):
    """A copy of knn_diabetes under tmp_path as grid ``name`` (caches cleared after)."""
    monkeypatch.setattr(real_sklearn, "GRIDS", tmp_path)

    def make(name):
        shutil.copytree(GRIDS / "knn_diabetes", tmp_path / name)
        return tmp_path / name

    yield make
    for f in (real_sklearn.read_meta, real_sklearn.load_grid, real_sklearn.load_memory):
        f.cache_clear()


def test_load_memory_none_without_memory_csv(fake_grids):
    (fake_grids("no_memory") / "memory.csv").unlink()
    assert real_sklearn.load_memory("no_memory") is None


def _first_peak(text, value):
    lines = text.splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + "," + value
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("edit, match", [
    (lambda t: _first_peak(t, "abc"), "memory.csv.*peak_mib='abc' is not a finite number >= 0"),
    (lambda t: _first_peak(t, "-0.01"), "memory.csv.*peak_mib='-0.01'"),
    (lambda t: _first_peak(t, "nan"), "memory.csv.*peak_mib='nan'"),
    (lambda t: "\n".join(t.splitlines()[:-1]), r"memory.csv.*35 rows \(35 distinct\) for a full grid of 36"),
    (lambda t: t.replace("peak_mib", "peak"), "memory.csv.*no column 'peak_mib'"),
    (lambda t: t.replace("uniform", "flat", 1), "memory.csv.*weights='flat' is not a level"),
])
def test_load_memory_refuses_a_bad_file_with_one_line(fake_grids, edit, match):
    folder = fake_grids("bad_memory")
    path = folder / "memory.csv"
    path.write_text(edit(path.read_text()))
    with pytest.raises(ValueError, match=match) as info:
        real_sklearn.load_memory("bad_memory")
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- the conditional grid
def _take(table, space, name, value):
    dist = space[name]
    k = dist.choices.index(value) if hasattr(dist, "choices") else int(dist.index(np.array([value]))[0])
    return np.take(table, k, axis=space.names.index(name))


def test_kernels_grid_is_exactly_constant_along_inactive_parameters():
    space, loss, seconds, _, meta = real_sklearn.load_grid(KERNELS)
    assert meta["conditions"] == {"gamma": {"parent": "kernel", "values": ["rbf", "poly"]},
                                  "degree": {"parent": "kernel", "values": ["poly"]}}
    memory = real_sklearn.load_memory(KERNELS)
    g, d = space.names.index("gamma"), space.names.index("degree")
    for table in (loss, seconds, memory):
        linear = _take(table, space, "kernel", "linear")  # axes C, gamma, degree, replicate
        assert np.all(linear == linear[:, :1, :1])  # neither gamma nor degree moves it
        rbf = _take(table, space, "kernel", "rbf")
        assert np.all(rbf == rbf[:, :, :1])  # degree does not move it
    # where active they matter: gamma moves rbf, degree moves poly
    rbf, poly = (_take(loss, space, "kernel", k) for k in ("rbf", "poly"))
    assert np.ptp(rbf.mean(-1), axis=g - 1).max() > 0.5
    assert np.ptp(poly.mean(-1), axis=d - 1).max() > 0.01
    # n_evaluated: 6 linear + 36 rbf + 108 poly configurations were fitted
    assert meta["n_evaluated"] == 6 + 36 + 108 and meta["memory"]["n_measured"] == 150


def test_kernels_grid_agrees_with_the_space_fix_inactive():
    """Every configuration's row equals the row of space.fix_inactive(configuration)."""
    space, loss, seconds, _, _ = real_sklearn.load_grid(KERNELS)
    X = np.array(list(itertools.product(*[d.levels for d in space.dists])))
    fixed = space.fix_inactive(X)
    assert np.sum(np.any(fixed != X, axis=1)) == 324 - 150  # 174 configurations differ only in inactive values
    index = lambda Z: tuple(d.index(Z[:, j]) for j, d in enumerate(space.dists))  # noqa: E731
    for table in (loss, seconds, real_sklearn.load_memory(KERNELS)):
        np.testing.assert_array_equal(table[index(X)], table[index(fixed)])


def test_kernels_grid_space_has_the_conditions_and_default():
    space = real_sklearn.load_grid(KERNELS)[0]
    assert space.is_conditional
    assert set(space.conditions) == {"gamma", "degree"}
    kernel = space["kernel"].choices
    assert space.conditions["degree"] == ("kernel", (float(kernel.index("poly")),))
    assert space.conditions["gamma"] == ("kernel", tuple(float(kernel.index(k)) for k in ("rbf", "poly")))
    default = dict(zip(space.names, space.default_point()))
    assert default == {"kernel": kernel.index("rbf"), "C": 1.0, "gamma": 0.1, "degree": 3.0}


@pytest.mark.parametrize("conditions, match", [
    ({"width": {"parent": "kernel", "values": ["poly"]}}, "unknown parameter 'width'"),
    ({"degree": {"parent": "shape", "values": ["poly"]}}, "of 'degree': unknown parent 'shape'"),
    ({"degree": {"parent": "kernel", "values": ["cubic"]}}, "'cubic' is not a choice of 'kernel'"),
    ({"degree": {"parent": "kernel", "values": []}}, "values must be a non-empty list"),
    ({"degree": {"parent": "degree", "values": [2.0]}}, "cannot be its own parent"),
    ({"degree": "kernel"}, "degree must be"),
])
def test_bad_conditions_in_meta_are_refused_with_one_line(conditions, match):
    meta = dict(real_sklearn.read_meta(KERNELS), conditions=conditions)
    with pytest.raises(ValueError, match=match) as info:
        real_sklearn._space(meta)
    assert "grid 'svc_digits_kernels' (meta.toml [conditions])" in str(info.value)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- slow: rerun the recipes
@pytest.fixture
def recipe_of():
    """Import ``problems/<name>/recipe.py`` and its ``_recipe``; sys.path and
    sys.dont_write_bytecode (which a recipe sets) are restored after the test."""
    saved = sys.path[:], sys.dont_write_bytecode

    def load(name):
        spec = importlib.util.spec_from_file_location(f"_benchsens_recipe_{name}", GRIDS / name / "recipe.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.recipe(), sys.modules["_recipe"]

    yield load
    sys.path[:], sys.dont_write_bytecode = saved


#: Re-measured peaks (another process: hash seed, history) differed from memory.csv by up to
#: 977 bytes, and random-forest fits by up to ~5 % even within one process (meta.toml
#: [memory] determinism); allowed: 0.002 MiB, and 15 % for the forest grid.
def _tolerance(name, mib):
    return 0.15 * mib if name == "rf_wine" else 0.002


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the memory pass forks")
@pytest.mark.parametrize("name", OURS)
def test_memory_remeasured_matches_memory_csv(name, recipe_of):
    recipe, _recipe = recipe_of(name)
    axes = _axes(name)
    _, rows = _rows(name, "memory.csv")
    picks = np.random.default_rng(0).choice(len(rows), size=min(4, len(rows)), replace=False)
    for i in picks:
        config = {a: (v if isinstance(recipe["axes"][j][2][0], str) else float(v))
                  for j, (a, v) in enumerate(zip(axes, rows[i]))}
        config = _recipe.active_config(config, recipe.get("conditions"), recipe["default"])
        peak = _recipe.peak_fit_bytes(config, **recipe) / _recipe.MIB
        assert abs(peak - float(rows[i][-1])) <= _tolerance(name, peak), (config, peak, rows[i][-1])


@pytest.mark.slow
def test_kernels_table_rebuilt_reproduces_the_committed_losses(recipe_of):
    recipe, _recipe = recipe_of(KERNELS)
    header, rows = _rows(KERNELS, "table.csv")
    axes = _axes(KERNELS)
    loss_cols = [k for k, h in enumerate(header) if h.startswith("loss_r")]
    wanted = [("rbf", 1.0, 0.1, 3.0), ("linear", 10.0, 10.0, 4.0),  # inactive gamma, degree off-default
              ("poly", 100.0, 0.01, 2.0), ("rbf", 1000.0, 0.001, 2.0)]
    for values in wanted:
        config = dict(zip(axes, values))
        row = next(r for r in rows if [r[header.index(a)] for a in axes] == [v if isinstance(v, str) else repr(v) for v in values])
        # the raw configuration, inactive values included: scikit-learn must ignore them too
        losses, _ = _recipe.evaluate(config, **recipe)
        assert [f"{v:.10g}" for v in losses] == [row[k] for k in loss_cols], config
