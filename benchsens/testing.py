"""Tools for checking ground truths and estimators.

:func:`pick_freeze` re-estimates Sobol' indices by plain Monte Carlo, independent of any
registry value, so tests can hold an analytic or exact truth to it.
:func:`check_estimator` is the conformance suite every registered estimator passes.
"""
from __future__ import annotations

import inspect
import math
import pickle
import warnings

import numpy as np

__all__ = ["pick_freeze", "assert_truth_matches", "check_estimator", "mixed_problem", "conditional_problem"]


def _ratio_se(num_terms, den_terms):
    """Delta-method standard error of mean(num) / mean(den)."""
    n = num_terms.size
    a, b = num_terms.mean(), den_terms.mean()
    cov = np.cov(num_terms, den_terms)
    var = (cov[0, 0] / b**2 - 2 * a * cov[0, 1] / b**3 + a**2 * cov[1, 1] / b**4) / n
    return float(np.sqrt(max(var, 0.0)))


def pick_freeze(problem, n: int, rng: np.random.Generator, chunk: int = 2**17):
    """Monte Carlo S1 (Saltelli 2010) and ST (Jansen 1999) of a problem's noiseless
    function with ``n`` i.i.d. base samples; returns ``(first, total, se_first, se_total)``.

    Memory stays bounded: each input's AB matrix is built in chunks of ``chunk`` rows.
    A and B are mapped to natural units once (column by column, as ``from_unit`` does) and
    each AB matrix swaps one column; on a conditional space ``fix_inactive`` then makes every
    point a design point (inactive entries fixed) of the product distribution, exactly as
    ``from_unit`` of the swapped unit matrix would.
    """
    space, d = problem.space, problem.d
    func = problem._call
    conditional = space.is_conditional
    first = np.empty(d)
    total = np.empty(d)
    se1 = np.empty(d)
    set_ = np.empty(d)
    UA, UB = rng.random((n, d)), rng.random((n, d))
    XA, XB = space._map_unit(UA), space._map_unit(UB)  # natural units, conditions not applied
    fA = func(space.fix_inactive(XA) if conditional else XA)
    fB = func(space.fix_inactive(XB) if conditional else XB)
    mu = 0.5 * (fA.mean() + fB.mean())
    den = 0.5 * ((fA - mu) ** 2 + (fB - mu) ** 2)
    for i in range(d):
        fAB = np.empty(n)
        for s in range(0, n, chunk):
            ABi = XA[s : s + chunk].copy()
            ABi[:, i] = XB[s : s + chunk, i]
            fAB[s : s + chunk] = func(space.fix_inactive(ABi) if conditional else ABi)
        t1 = fB * (fAB - fA)
        tt = 0.5 * (fA - fAB) ** 2
        first[i] = t1.mean() / den.mean()
        total[i] = tt.mean() / den.mean()
        se1[i] = _ratio_se(t1, den)
        set_[i] = _ratio_se(tt, den)
    return first, total, se1, set_


def assert_truth_matches(problem, n: int = 10**6, seed: int = 0, z: float = 4.0, atol: float = 1e-6):
    """Raise AssertionError unless the problem's S1/ST agree with :func:`pick_freeze`
    within ``z`` standard errors (plus ``atol`` for round-off of tiny indices)."""
    first, total, se1, set_ = pick_freeze(problem, n, np.random.default_rng(seed))
    gt = problem.truth
    for label, est, se, true in (("first", first, se1, gt.first), ("total", total, set_, gt.total)):
        err = np.abs(est - true)
        tol = z * se + atol
        if np.any(err > tol):
            j = int(np.argmax(err - tol))
            raise AssertionError(
                f"{problem.name}: {label}[{j}] ({problem.space.names[j]}) truth={true[j]:.5f} "
                f"but Monte Carlo gives {est[j]:.5f} ± {se[j]:.5f} (n={n})"
            )
    return first, total, se1, set_


# -- estimator conformance ------------------------------------------------------------


def _mixed_func(X):
    """Every input matters, one interaction; categorical codes pick an offset."""
    u, lr, z, k, width, o, c = X.T
    offsets = np.array([0.0, 1.0, -1.0])
    return (u + 0.5 * np.log10(lr) + 0.3 * z + 0.2 * k + 0.5 * np.log2(width) + o
            + offsets[c.astype(int)] + 0.3 * u * z)


def mixed_problem():
    """A problem over every parameter kind, with no ground truth (``truth=None``)."""
    from .problem import Problem
    from .space import Categorical, Integer, LogUniform, Normal, Ordinal, Space, Uniform

    space = Space({
        "u": Uniform(-1.0, 2.0),
        "lr": LogUniform(1e-4, 1e-1),
        "z": Normal(0.0, 1.0),
        "k": Integer(1, 8),
        "width": Integer(1, 64, log=True),
        "o": Ordinal([0.1, 0.2, 0.5, 1.0]),
        "c": Categorical(["a", "b", "c"], weights=[0.2, 0.3, 0.5]),
    })
    return Problem("conformance_mixed", space, _mixed_func, truth=None)


def _conditional_func(X):
    """``k`` acts only for choices b and c, ``z`` only where ``k`` is active and >= 3;
    inactive values are never read (multiplied by an exact zero)."""
    c, x, k, z = X.T
    active_k = c >= 1
    active_z = active_k & (k >= 3)
    offsets = np.array([0.0, 0.5, -0.5])
    return x + offsets[c.astype(int)] + active_k * 0.3 * k + active_z * (1.0 + x) * z


def conditional_problem():
    """A problem on a conditional space with a chain (``c`` -> ``k`` -> ``z``), with no
    ground truth (``truth=None``)."""
    from .problem import Problem
    from .space import Categorical, Integer, Space, Uniform

    space = Space({
        "c": Categorical(["a", "b", "c"], weights=[0.4, 0.3, 0.3]),
        "x": Uniform(0.0, 1.0),
        "k": Integer(1, 4),
        "z": Uniform(-1.0, 1.0),
    }, conditions={"k": ("c", ["b", "c"]), "z": ("k", [3, 4])})
    return Problem("conformance_conditional", space, _conditional_func, truth=None)


def _check_conditional(name, est, seed):
    """The estimator runs on a conditional space (its design, checked by :func:`_run`, is
    ``from_unit(U)``: inactive values fixed), the estimate conforms, and the same seed
    gives the same result."""
    problem = conditional_problem()
    budget = max(int(_step(name, "min_budget on a conditional space", est.min_budget, problem.space)), 128)
    _, _, result = _run(name, est, problem, budget, seed)
    _, _, again = _run(name, est, problem, budget, seed)
    if not _same_estimate(result, again):
        _fail(name, f"the same seed gave different results on {problem.name}: "
                    f"{result.importance} vs {again.importance}")


def _smooth_func(X):
    return X[:, 0] + np.log(X[:, 1]) * X[:, 2]


def _smooth_grad(X):
    return np.column_stack([np.ones(len(X)), X[:, 2] / X[:, 1], np.log(X[:, 1])])


def _smooth_problem():
    """A continuous problem with an exact gradient (for estimators that use one), declared
    cheaper than finite differences (an adjoint: 1 evaluation per gradient, not d = 3)."""
    from .problem import Problem
    from .space import LogUniform, Normal, Space, Uniform

    space = Space({"a": Uniform(0.0, 1.0), "b": LogUniform(0.1, 10.0), "c": Normal(1.0, 0.5)})
    return Problem("conformance_smooth", space, _smooth_func, truth=None, gradient=_smooth_grad,
                   gradient_cost=1.0)


def _scale_func(X):
    return np.sin(2 * np.pi * X[:, 0]) + 0.5 * X[:, 1]


def _scale_problem():
    """Additive, ``S1 = ST = (0.96, 0.04, 0)``; the Poincaré bound on ``ST_0`` is 3.8."""
    from .problem import Problem
    from .space import Space

    return Problem("conformance_scale", Space.unit(3), _scale_func, truth=None)


def _check_sobol_scale(name, est, seed):
    problem = _scale_problem()
    need = _step(name, "min_budget", est.min_budget, problem.space)
    _, _, result = _run(name, est, problem, max(int(need), 1024), seed)
    for label in ("first", "total"):
        values = getattr(result, label)
        if values is not None and not np.all((np.asarray(values) >= -0.1) & (np.asarray(values) <= 1.1)):
            _fail(name, f"{label} must hold Sobol'-scale estimates (in [0, 1] up to sampling error) but "
                        f"is {np.round(values, 3).tolist()} on {problem.name} (S1 = ST = [0.96, 0.04, 0]); "
                        "bounds and other scales go to extras")


def _fail(name, what):
    raise AssertionError(f"check_estimator({name}): {what}")


def _step(name, what, call, *args, **kwargs):
    """Run ``call``; any exception becomes an AssertionError saying which step failed."""
    try:
        return call(*args, **kwargs)
    except AssertionError:
        raise
    except Exception as exc:
        raise AssertionError(f"check_estimator({name}): {what} raised {type(exc).__name__}: {exc}") from exc


def _check_design(name, design, space, budget):
    from .estimators.base import Design

    if not isinstance(design, Design):
        _fail(name, f"plan returned {type(design).__name__}, not a Design")
    n, d = len(design), len(space)
    if n > budget:
        _fail(name, f"planned {n} evaluations for budget={budget}")
    if design.X.shape != (n, d) or design.U.shape != (n, d):
        _fail(name, f"design X {design.X.shape} / U {design.U.shape} do not have shape ({n}, {d})")
    _step(name, "the design's X (space.validate)", space.validate, design.X)
    if not (np.all(design.U >= 0) and np.all(design.U <= 1)):
        _fail(name, "design.U leaves [0, 1]")
    if not np.allclose(space.from_unit(design.U), design.X, rtol=1e-9, atol=1e-12):
        _fail(name, "design.X is not space.from_unit(design.U)")


def _check_estimate(name, result, space, n_design, budget):
    from .estimators.base import Estimate

    d = len(space)
    if not isinstance(result, Estimate):
        _fail(name, f"analyze returned {type(result).__name__}, not an Estimate")
    imp = np.asarray(result.importance)
    if imp.shape != (d,):
        _fail(name, f"importance has shape {imp.shape}, expected ({d},)")
    if not np.all(np.isfinite(imp)) or np.any(imp < 0):
        _fail(name, f"importance must be finite and >= 0, got {imp.tolist()}")
    if list(result.names) != space.names:
        _fail(name, f"names {result.names} are not the space's {space.names}")
    cost = float(result.extras.get("gradient_cost", 0.0))
    charged = int(math.ceil(n_design * (1.0 + cost)))
    if result.n_evals > budget or result.n_evals != charged:
        _fail(name, f"n_evals={result.n_evals} for a design of {n_design} points (gradients charged "
                    f"{cost:g} evaluations each: {charged}), budget={budget}")
    for label in ("first", "total"):
        values = getattr(result, label)
        if values is not None and (np.shape(values) != (d,) or not np.all(np.isfinite(values))):
            _fail(name, f"{label} must be {d} finite values, got {values!r}")
    for label, (lo, hi) in result.ci.items():
        if np.shape(lo) != (d,) or np.shape(hi) != (d,) or np.any(np.asarray(lo) > np.asarray(hi)):
            _fail(name, f"ci[{label!r}] must be two arrays of {d} values with lower <= upper")


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


def _same_estimate(r1, r2):
    return all(_same(getattr(r1, f), getattr(r2, f)) for f in ("importance", "first", "total", "second"))


def _run(name, est, problem, budget, seed, gradient=False):
    """The pipeline of ``bs.estimate`` (plan -> evaluate -> analyze), checking the design
    before it is evaluated, the estimate, and that an exact gradient was used iff ``gradient``."""
    from ._pipeline import run

    result = _step(name, f"plan/evaluate/analyze with budget={budget} on {problem.name}", run,
                   problem, est, budget, seed,
                   on_design=lambda design: _check_design(name, design, problem.space, budget))
    if gradient != ("exact_gradient" in result.estimate.extras):
        _fail(name, f"an exact gradient was {'not ' if gradient else ''}used on {problem.name}")
    _check_estimate(name, result.estimate, problem.space, len(result.design), budget)
    return result.design, result.y, result.estimate


def check_estimator(est, budget: int | None = None, seed: int = 0) -> None:
    """Raise AssertionError (naming the failed check) unless ``est`` (an Estimator or a
    registered name) conforms to the interface:

    - never plans more than ``budget`` points, and its design is in the space;
    - works on every parameter kind (Uniform, LogUniform, Normal, Integer, log-Integer,
      Ordinal, Categorical) of a problem with ``truth=None``: it only ever sees a Space;
    - works on a conditional space (:func:`conditional_problem`, a chain of conditions):
      the design holds the fixed inactive values, the estimate conforms, and the same
      seed gives the same result;
    - importance: one finite, non-negative value per input, names in space order;
    - the same seed gives an identical design and result, and analysing one design twice
      gives the same result (randomness comes only from the plan's generator);
    - a budget below ``min_budget`` raises BudgetError naming the minimum, and the minimum
      itself works;
    - NaN in y raises a ValueError saying so;
    - a pickle round trip gives an estimator with the same options and results, and
      running it never changes its options;
    - given-data estimators analyse an i.i.d. sample they did not plan; gradient users
      accept an exact gradient and charge it (``n_evals = n (1 + gradient_cost)``, no
      extra for oracles), on a problem whose gradient costs 1 evaluation;
    - ``target`` is declared (one of ``TARGETS``) and copied to the estimate; ``first`` and
      ``total``, when given, are on the Sobol' scale (every value in [-0.1, 1.1] on
      ``sin(2 pi x0) + x1 / 2`` at a budget of at least 1024, where S1 = ST =
      (0.96, 0.04, 0) and derivative bounds on ST exceed 3);
    - options: keyword-only, stored unchanged, each declared in ``_parameter_constraints``;
      for every option, values derived from its constraints are refused by
      ``validate_params`` (and the first also by ``plan`` and ``analyze``) with a
      ValueError/TypeError naming the estimator and the option;
    - a constant output gives zeros and a ConstantOutputWarning; outputs whose variance
      overflows raise a ValueError saying so.

    ``budget`` defaults to ``max(min_budget, 128)`` on the mixed space.
    """
    from . import _api
    from .estimators.base import TARGETS, BudgetError, Design, Estimator

    if isinstance(est, str):
        est = _api.get_estimator(est)
    if not isinstance(est, Estimator):
        raise TypeError(f"check_estimator needs an Estimator or a registered name, got {est!r}")
    name = est.name or type(est).__name__
    if type(est).target not in TARGETS:
        _fail(name, f"target={type(est).target!r} is not declared as one of {TARGETS}")
    problem = mixed_problem()
    space = problem.space
    need = _step(name, "min_budget", est.min_budget, space)
    if isinstance(need, bool) or int(need) != need or need < 1:
        _fail(name, f"min_budget returned {need!r}, not a positive integer")
    need = int(need)
    budget = max(need, 128) if budget is None else int(budget)
    options = repr(est.get_params())

    design, y, result = _run(name, est, problem, budget, seed)
    if result.target != type(est).target:
        _fail(name, f"the estimate's target {result.target!r} is not the estimator's {type(est).target!r}")
    if result.first is not None or result.total is not None:
        _check_sobol_scale(name, est, seed)
    _check_options(name, est, space, budget, design, y, seed)
    _check_output_conventions(name, est, design, y)
    _check_conditional(name, est, seed)

    _, _, again = _run(name, est, problem, budget, seed)
    if not _same_estimate(result, again):
        _fail(name, f"the same seed gave different results: {result.importance} vs {again.importance}")
    reanalysed = _step(name, "analyze (second time, same design)", est.analyze, design, y)
    if not _same_estimate(result, reanalysed):
        _fail(name, "analysing the same design twice gave different results")

    try:
        clone = pickle.loads(pickle.dumps(est))
    except Exception as exc:
        _fail(name, f"pickle round trip failed: {type(exc).__name__}: {exc}")
    if type(clone) is not type(est) or repr(clone.get_params()) != repr(est.get_params()):
        _fail(name, f"unpickled estimator {clone!r} differs from {est!r}")
    _, _, from_clone = _run(name, clone, problem, budget, seed)
    if not _same_estimate(result, from_clone):
        _fail(name, "the unpickled estimator gives different results")

    if need > 1:
        try:
            est.plan(space, need - 1, np.random.default_rng(seed))
        except BudgetError as exc:
            if str(need) not in str(exc):
                _fail(name, f"BudgetError for budget={need - 1} does not state the minimum {need}: {exc}")
        except Exception as exc:
            _fail(name, f"budget={need - 1} < min_budget raised {type(exc).__name__}, not BudgetError: {exc}")
        else:
            _fail(name, f"budget={need - 1} below min_budget={need} did not raise BudgetError")
    _run(name, est, problem, need, seed)

    y_nan = y.copy()
    y_nan[len(y) // 2] = np.nan
    try:
        est.analyze(design, y_nan)
    except ValueError as exc:
        if "nan" not in str(exc).lower() and "non-finite" not in str(exc).lower():
            _fail(name, f"the ValueError for NaN in y does not say so: {exc}")
    except Exception as exc:
        _fail(name, f"NaN in y raised {type(exc).__name__}, not ValueError: {exc}")
    else:
        _fail(name, "NaN in y did not raise ValueError")

    if est.given_data:
        rng = np.random.default_rng(seed + 1)
        sample = Design.from_sample(space, space.sample(budget, rng))
        given = _step(name, "analyze on an i.i.d. sample", est.analyze, sample, problem.evaluate(sample.X))
        _check_estimate(name, given, space, budget, budget)

    if est.uses_gradient:
        smooth = _smooth_problem()
        need = _step(name, "min_budget with gradients", est.min_budget, smooth.space, gradient=True,
                     gradient_cost=smooth.gradient_cost)
        g_design, _, g_result = _run(name, est, smooth, max(int(need), 64), seed, gradient=True)
        cost = 0.0 if est.oracle else smooth.gradient_cost
        if g_design.info.get("gradient_cost") != cost:
            _fail(name, f"design.info['gradient_cost'] is {g_design.info.get('gradient_cost')!r}, expected "
                        f"{cost!r} ({'an oracle is not charged' if est.oracle else 'the problem gradient_cost'})")
        if g_result.extras.get("gradient_cost") != cost:
            _fail(name, f"the estimate does not record the gradient charge {cost!r}")

    if repr(est.get_params()) != options:
        _fail(name, f"planning/analysing changed the options: {options} -> {est.get_params()!r}")


def _check_options(name, est, space, budget, design, y, seed):
    """Keyword-only options stored unchanged, declared constraints, and invalid values
    (derived from the constraints) refused with a message naming the estimator and option."""
    from .estimators._params import invalid_values

    cls = type(est)
    constraints = cls._parameter_constraints
    params = est.get_params()
    if constraints is None:
        _fail(name, "declares no _parameter_constraints")
    if set(constraints) != set(params):
        _fail(name, f"_parameter_constraints declares {sorted(constraints)} but the options are {sorted(params)}")
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    positional = [p for p, par in inspect.signature(cls.__init__).parameters.items()
                  if p != "self" and par.kind not in skip]
    if positional:
        _fail(name, f"options {positional} must be keyword-only (def __init__(self, *, ...))")
    rebuilt = _step(name, "rebuilding from get_params()", cls, **params)
    changed = [k for k, v in params.items() if getattr(rebuilt, k) is not v]
    if changed:
        _fail(name, f"__init__ must store options unchanged (no work there); {changed} were altered")
    for option, allowed in constraints.items():
        for i, bad in enumerate(invalid_values(allowed)):
            try:
                broken = cls(**{**params, option: bad})
            except Exception as exc:
                _fail(name, f"__init__ raised {type(exc).__name__} for {option}={bad!r}; constructors only "
                            "store their options (validation belongs to validate_params)")
            calls = [("validate_params", broken.validate_params)]
            if i == 0:
                calls += [("plan", lambda: broken.plan(space, budget, np.random.default_rng(seed))),
                          ("analyze", lambda: broken.analyze(design, y))]
            for what, call in calls:
                try:
                    call()
                except (ValueError, TypeError) as exc:
                    if option not in str(exc) or name not in str(exc):
                        _fail(name, f"{what} refused {option}={bad!r} without naming the estimator "
                                    f"and the option: {exc}")
                except Exception as exc:
                    _fail(name, f"{what} with {option}={bad!r} raised {type(exc).__name__}, "
                                f"not ValueError/TypeError: {exc}")
                else:
                    _fail(name, f"{what} accepted the invalid option {option}={bad!r}")


def _check_output_conventions(name, est, design, y):
    """Constant outputs: zeros and a warning. Outputs whose variance overflows: an error."""
    from .estimators.base import ConstantOutputWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        const = _step(name, "analyze of a constant output", est.analyze, design, np.full(len(design), 2.5))
    if not any(issubclass(w.category, ConstantOutputWarning) for w in caught):
        _fail(name, "a constant output gave no ConstantOutputWarning")
    for label in ("importance", "first", "total"):
        values = getattr(const, label)
        if values is not None and np.any(np.asarray(values) != 0):
            _fail(name, f"a constant output must give {label} = 0 (the convention), got {values!r}")
    huge = 1e200 * (y - y.mean()) / y.std()
    try:
        with np.errstate(all="ignore"):
            est.analyze(design, huge)
    except ValueError as exc:
        if "not finite" not in str(exc) and "overflow" not in str(exc):
            _fail(name, f"the ValueError for outputs whose variance overflows does not say so: {exc}")
    except Exception as exc:
        _fail(name, f"outputs whose variance overflows raised {type(exc).__name__}, not ValueError: {exc}")
    else:
        _fail(name, "outputs whose variance overflows (1e200 scale) did not raise ValueError")
