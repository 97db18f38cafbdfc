"""Verification of the engineering problems and their truths.

Each reference truth (benchsens/problems/data/engineering_reference.json, written by
scripts/reference_truth.py) is re-estimated here with an independent pick-freeze sample
(other seed) and must agree within 4 combined standard errors. The exact truths of Welch
and Morris are held to a second exact computation done another way (closed-form moments
for Welch, adaptive quadrature and the 1-based coefficient rules for Morris) and to the
same pick-freeze re-estimation; every function is checked against an independent
transcription of its published formula, and the gradients against finite differences.
"""
import itertools
import json
from importlib import resources

import numpy as np
import pytest
from scipy import integrate

import benchsens as bs
from benchsens.problems import engineering as eng
from benchsens.testing import pick_freeze

NAMES = list(eng.ENGINEERING_PROBLEMS)
REFERENCE = eng.REFERENCE_PROBLEMS
EXACT = sorted(eng.EXACT_TRUTHS)
Z = 4.0
# Base samples of the default-run re-estimation: enough that 4 combined standard errors
# stay below MAX_TOLERANCE["fast"] (the Saltelli S1 estimator is noisiest for the
# cheap problems' large indices); the slow test uses 10^6 for every problem.
N_FAST = {"borehole": 400_000, "piston": 400_000, "otl_circuit": 500_000,
          "wing_weight": 500_000, "morris": 100_000, "welch": 200_000}
# Bound on the re-estimation tolerance: as the fresh estimate lies within it of the truth,
# any change of a shipped index by more than twice this makes the test fail.
MAX_TOLERANCE = {"fast": 0.035, "slow": 0.025}


def _raw_json():
    path = resources.files("benchsens.problems").joinpath("data", "engineering_reference.json")
    return json.loads(path.read_text("utf-8"))


def disagreements(truth, first, total, se_first, se_total, z=Z):
    """Indices (label, input) where a fresh estimate and the truth differ by more than
    ``z`` combined standard errors; also returns the tolerances."""
    bad, tols = [], {}
    for label, est, se in (("first", first, se_first), ("total", total, se_total)):
        ref = getattr(truth, label)
        ref_se = 0.0 if truth.std_error is None else truth.std_error[label]
        tol = z * np.sqrt(ref_se**2 + se**2) + 1e-12  # round-off only
        tols[label] = tol
        bad += [(label, j) for j in np.flatnonzero(np.abs(np.clip(est, 0, 1) - ref) > tol)]
    return bad, tols


_FRESH = {}


def fresh_estimate(name, n=None):
    """Independent pick-freeze estimate (seed differs from the reference's), cached."""
    n = n or N_FAST[name]
    if (name, n) not in _FRESH:
        seed = 7_000_000 + NAMES.index(name)
        assert seed != _raw_json()["problems"].get(name, {}).get("seed")
        _FRESH[name, n] = pick_freeze(eng.bare_problem(name), n, np.random.default_rng(seed))
    return _FRESH[name, n]


# --- the shipped data ---------------------------------------------------------------

def test_reference_data_holds_exactly_the_reference_problems():
    assert sorted(_raw_json()["problems"]) == sorted(REFERENCE) and set(REFERENCE) | set(EXACT) == set(NAMES)


@pytest.mark.parametrize("name", EXACT)
def test_exact_truths_are_registered(name):
    gt = bs.get_problem(name).truth
    assert gt.kind == "exact" and gt.std_error is None and "exact ANOVA" in gt.source
    assert eng.ENGINEERING_PROBLEMS[name][4] in gt.source


@pytest.mark.parametrize("name", REFERENCE)
def test_registered_with_reference_truth_and_provenance(name):
    p = bs.get_problem(name)
    assert name in bs.list_problems("engineering") and f"d={p.d}" in p.tags
    entry = _raw_json()["problems"][name]
    assert entry["names"] == p.space.names
    for key in ("n", "seed", "method", "date", "numpy", "std_error"):
        assert key in entry, key
    assert entry["n"] >= 10**6 and isinstance(entry["seed"], int)
    gt = p.truth
    assert gt.kind == "reference"
    assert f"n={entry['n']}" in gt.source and f"seed={entry['seed']}" in gt.source
    np.testing.assert_array_equal(gt.first, entry["first"])
    np.testing.assert_array_equal(gt.total, entry["total"])
    for label in ("first", "total"):
        np.testing.assert_array_equal(gt.std_error[label], entry["std_error"][label])
        assert np.all(gt.std_error[label] >= 0) and gt.std_error[label].max() <= 1.5e-3
        # the delta-method errors agree with the spread of >= 10 independent batches
        if entry["batches"] >= 10:
            big = gt.std_error[label] > 1e-4
            ratio = np.asarray(entry["batch_spread_std_error"][label])[big] / gt.std_error[label][big]
            assert 0.5 < np.median(ratio) < 2 and ratio.max() < 3, ratio


@pytest.mark.parametrize("name", REFERENCE)
def test_reference_invariants(name):
    gt = bs.get_problem(name).truth
    s1, st = gt.first, gt.total
    se1, set_ = gt.std_error["first"], gt.std_error["total"]
    assert np.all(s1 <= st + Z * np.hypot(se1, set_) + 1e-12)
    assert s1.sum() <= 1 + Z * np.sqrt((se1**2).sum())
    assert st.sum() >= 1 - Z * np.sqrt((set_**2).sum())


def test_welch_dummies_are_exact_zeros():
    p = bs.get_problem("welch")
    dummies = [p.space.names.index("x8"), p.space.names.index("x16")]
    np.testing.assert_array_equal(p.truth.total[dummies], 0.0)
    np.testing.assert_array_equal(p.truth.first[dummies], 0.0)
    X = p.space.sample(1000, np.random.default_rng(3))
    Y = X.copy()
    Y[:, dummies] = p.space.sample(1000, np.random.default_rng(4))[:, dummies]
    np.testing.assert_array_equal(p.evaluate(X), p.evaluate(Y))
    others = np.setdiff1d(np.arange(20), dummies)
    assert np.all(p.truth.total[others] > 0)


# --- re-estimation with an independent sample ---------------------------------------

@pytest.mark.parametrize("name", REFERENCE)
def test_reference_truth_reestimated(name):
    truth = bs.get_problem(name).truth
    est = fresh_estimate(name)
    bad, tols = disagreements(truth, *est)
    assert not bad, f"{name}: disagreement at {bad}"
    assert max(t.max() for t in tols.values()) < MAX_TOLERANCE["fast"]


@pytest.mark.parametrize("name", ["borehole", "piston"])
def test_a_changed_json_value_fails_the_reestimation(name, monkeypatch):
    data = _raw_json()
    entry = data["problems"][name]
    j = int(np.argmax(entry["total"]))
    entry["total"][j] += 2 * MAX_TOLERANCE["fast"]
    monkeypatch.setattr(eng, "reference_data", lambda: data)
    tampered = bs.get_problem(name).truth
    assert tampered.total[j] == entry["total"][j]
    bad, _ = disagreements(tampered, *fresh_estimate(name))
    assert ("total", j) in bad


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_reference_truth_reestimated_large_sample(name):
    truth = bs.get_problem(name).truth
    bad, tols = disagreements(truth, *fresh_estimate(name, 10**6))
    assert not bad, f"{name}: disagreement at {bad}"
    assert max(t.max() for t in tols.values()) < MAX_TOLERANCE["slow"]


# --- exact truths where the structure allows them -----------------------------------

def _welch_exact():
    """S1/ST of Welch in closed form from the moments of a ~ U(-1/2, 1/2):
    E a^2 = 1/12, E a^4 = 1/80, E a^6 = 1/448, E 1/(1 + a) = ln 3, E 1/(1 + a)^2 = 4/3."""
    m2, m4, m6 = 1 / 12, 1 / 80, 1 / 448
    first, inter = np.zeros(21), np.zeros(21)  # 1-based
    # 5 x12 / (1 + x1): E[. | x1] = 0, E[. | x12] = 5 ln(3) x12
    first[12] = 25 * np.log(3) ** 2 * m2
    inter[[1, 12]] = 25 * m2 * 4 / 3 - first[12]
    # 5 (x4 - x20)^2 = 5 (x4^2 - 1/12) + 5 (x20^2 - 1/12) - 10 x4 x20 + const
    first[[4, 20]] = 25 * (m4 - m2**2)
    inter[[4, 20]] = 100 * m2**2
    first[19] = 1600 * m6 - 400 * m4 + 25 * m2  # E (40 a^3 - 5 a)^2
    first[13] = 0.0625 * (m4 - m2**2)
    for i, c in {2: 0.05, 3: 0.08, 5: 1.0, 6: -0.03, 7: 0.03, 9: -0.09, 10: -0.01, 11: -0.07,
                 14: -0.04, 15: 0.06, 17: -0.01, 18: -0.03}.items():
        first[i] = c**2 * m2
    var = first.sum() + inter[12] + inter[20]
    return first[1:] / var, (first + inter)[1:] / var


def _morris_exact():
    """S1/ST of the Morris function: it is multilinear in independent w_i, so with
    w_i = m_i + z_i each ANOVA term is a_S prod z_i, V_S = a_S^2 prod Var(w_i)."""
    m, v = np.zeros(20), np.full(20, 1 / 3)  # w = 2x - 1, x ~ U(0, 1)
    for i in (2, 4, 6):
        g = lambda x: 2 * (1.1 * x / (x + 0.1) - 0.5)  # noqa: E731
        m[i] = integrate.quad(g, 0, 1, epsabs=1e-14)[0]
        v[i] = integrate.quad(lambda x: g(x) ** 2, 0, 1, epsabs=1e-14)[0] - m[i] ** 2
    coef = {}
    for i in range(20):
        coef[(i,)] = 20.0 if i < 10 else (-1.0) ** (i + 1)
    for i, j in itertools.combinations(range(20), 2):
        coef[(i, j)] = -15.0 if j < 6 else (-1.0) ** (i + j)
    for t in itertools.combinations(range(5), 3):
        coef[t] = -10.0
    coef[(0, 1, 2, 3)] = 5.0
    a = {}
    for T, c in coef.items():
        for r in range(1, len(T) + 1):
            for S in itertools.combinations(T, r):
                rest = [k for k in T if k not in S]
                a[S] = a.get(S, 0.0) + c * np.prod(m[rest])
    V = {S: aS**2 * np.prod(v[list(S)]) for S, aS in a.items()}
    var = sum(V.values())
    first = np.array([V[(i,)] for i in range(20)]) / var
    total = np.array([sum(vs for S, vs in V.items() if i in S) for i in range(20)]) / var
    return first, total


@pytest.mark.parametrize("name, exact", [("welch", _welch_exact), ("morris", _morris_exact)])
def test_exact_truth_matches_a_second_exact_computation(name, exact):
    truth = bs.get_problem(name).truth
    first, total = exact()
    np.testing.assert_allclose(truth.first, first, rtol=0, atol=1e-12)
    np.testing.assert_allclose(truth.total, total, rtol=0, atol=1e-12)
    # the functions' symmetries give exact ties (the scores rely on them)
    pairs = {"welch": [(3, 19), (7, 15)], "morris": [(1, 3), (7, 9)]}[name]
    for i, j in pairs:
        assert truth.first[i] == pytest.approx(truth.first[j], abs=1e-15)
        assert truth.total[i] == pytest.approx(truth.total[j], abs=1e-15)


def test_welch_second_order_is_exact():
    s2 = bs.get_problem("welch").truth.second
    first, total = _welch_exact()
    expected = np.zeros((20, 20))
    expected[0, 11] = expected[11, 0] = total[0]  # x1 acts only through its x12 interaction
    expected[3, 19] = expected[19, 3] = total[3] - first[3]
    np.testing.assert_allclose(s2, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", EXACT)
def test_exact_truth_matches_pick_freeze(name):
    bad, tols = disagreements(bs.get_problem(name).truth, *fresh_estimate(name))
    assert not bad, f"{name}: disagreement at {bad}"
    assert max(t.max() for t in tols.values()) < MAX_TOLERANCE["fast"]


# --- the functions themselves -------------------------------------------------------

def _borehole_formula(X):
    rw, log_r, Tu, Hu, Tl, Hl, L, Kw = X.T
    lnr = np.log(np.exp(log_r) / rw)
    return 2 * np.pi * Tu * (Hu - Hl) / (lnr * (1 + 2 * L * Tu / (lnr * rw**2 * Kw) + Tu / Tl))


def _piston_formula(X):
    M, S, V0, k, P0, Ta, T0 = X.T
    A = P0 * S + 19.62 * M - k * V0 / S
    V = S / (2 * k) * (np.sqrt(A**2 + 4 * k * (P0 * V0 / T0) * Ta) - A)
    return 2 * np.pi * np.sqrt(M / (k + S**2 * (P0 * V0 / T0) * (Ta / V**2)))


def _otl_formula(X):
    Rb1, Rb2, Rf, Rc1, Rc2, b = X.T
    Vb1 = 12 * Rb2 / (Rb1 + Rb2)
    d = b * (Rc2 + 9) + Rf
    return ((Vb1 + 0.74) * b * (Rc2 + 9)) / d + 11.35 * Rf / d + 0.74 * Rf * b * (Rc2 + 9) / (d * Rc1)


def _wing_formula(X):
    Sw, Wfw, A, Lam, q, lam, tc, Nz, Wdg, Wp = X.T
    c = np.cos(Lam * np.pi / 180)
    return (0.036 * Sw**0.758 * Wfw**0.0035 * (A / c**2) ** 0.6 * q**0.006 * lam**0.04
            * (100 * tc / c) ** (-0.3) * (Nz * Wdg) ** 0.49 + Sw * Wp)


def _morris_formula(X):
    # term by term as in UQLab's uq_morris (Blatman & Sudret 2010), 1-based rules
    w = 2 * (X - 0.5)
    for i in (3, 5, 7):
        w[:, i - 1] = 2 * (1.1 * X[:, i - 1] / (X[:, i - 1] + 0.1) - 0.5)
    y = np.zeros(len(X))
    for i in range(1, 21):
        y += (20 if i <= 10 else (-1) ** i) * w[:, i - 1]
    for i, j in itertools.combinations(range(1, 21), 2):
        y += (-15 if j <= 6 else (-1) ** (i + j)) * w[:, i - 1] * w[:, j - 1]
    for i, j, k in itertools.combinations(range(1, 6), 3):
        y += -10 * w[:, i - 1] * w[:, j - 1] * w[:, k - 1]
    return y + 5 * w[:, 0] * w[:, 1] * w[:, 2] * w[:, 3]


def _welch_formula(X):
    x = np.column_stack([np.zeros(len(X)), X])  # 1-based
    lin = (0.05 * x[:, 2] + 0.08 * x[:, 3] - 0.03 * x[:, 6] + 0.03 * x[:, 7] - 0.09 * x[:, 9]
           - 0.01 * x[:, 10] - 0.07 * x[:, 11] - 0.04 * x[:, 14] + 0.06 * x[:, 15]
           - 0.01 * x[:, 17] - 0.03 * x[:, 18])
    return (5 * x[:, 12] / (1 + x[:, 1]) + 5 * (x[:, 4] - x[:, 20]) ** 2 + x[:, 5]
            + 40 * x[:, 19] ** 3 - 5 * x[:, 19] + 0.25 * x[:, 13] ** 2 + lin)


FORMULAS = {"borehole": _borehole_formula, "piston": _piston_formula, "otl_circuit": _otl_formula,
            "wing_weight": _wing_formula, "morris": _morris_formula, "welch": _welch_formula}


@pytest.mark.parametrize("name", NAMES)
def test_function_matches_independent_transcription(name):
    p = bs.get_problem(name)
    X = p.space.sample(2000, np.random.default_rng(11))
    y = FORMULAS[name](X)
    np.testing.assert_allclose(p.evaluate(X), y, rtol=1e-11, atol=1e-11 * np.abs(y).max())


def test_borehole_outside_physical_domain_is_nan():
    p = bs.get_problem("borehole")
    x = np.array([[-0.01, 7.71, 80000, 1000, 80, 750, 1400, 11000]])
    assert np.isnan(p.evaluate(x)[0])


@pytest.mark.parametrize("name", ["borehole", "wing_weight"])
def test_gradient_matches_finite_differences(name):
    p = bs.get_problem(name)
    X = p.space.sample(200, np.random.default_rng(5))
    h = 1e-6 * np.maximum(np.abs(X), 1e-3)
    fd = np.column_stack([
        (p.evaluate(X + h[:, [j]] * e) - p.evaluate(X - h[:, [j]] * e)) / (2 * h[:, j])
        for j, e in enumerate(np.eye(p.d))
    ])
    np.testing.assert_allclose(p.gradient(X), fd, rtol=1e-5, atol=1e-7 * np.abs(fd).max())


@pytest.mark.parametrize("name", ["piston", "otl_circuit", "morris", "welch"])
def test_no_gradient_where_none_is_provided(name):
    p = bs.get_problem(name)
    assert not p.has_gradient
    with pytest.raises(NotImplementedError, match=name):
        p.gradient(p.space.sample(2, np.random.default_rng(0)))


def test_noise_option_keeps_reference_truth():
    p = bs.get_problem("piston", noise=0.1)
    np.testing.assert_array_equal(p.truth.total, bs.get_problem("piston").truth.total)
    y = p.evaluate(p.space.sample(5, np.random.default_rng(0)), rng=np.random.default_rng(1))
    assert y.shape == (5,)


def test_editing_the_reference_data_does_not_change_later_truths():
    data = eng.reference_data()
    data["problems"]["borehole"]["total"][0] = 0.0
    assert bs.get_problem("borehole").truth.total[0] == _raw_json()["problems"]["borehole"]["total"][0] > 0
