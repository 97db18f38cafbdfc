"""Thin adapters over SALib's samplers and analyses (baselines ``salib.*``).

SALib works in a box, so every adapter hands it the unit cube: a problem dict with
``bounds = [[0, 1]] * d``. SALib's unit samples are mapped once through
:meth:`Space.from_unit`, so every parameter kind (log, integer, ordinal, categorical,
normal) works, and the analyses read the unit design ``Design.U`` (for the given-data
methods: ``Space.to_unit`` of the given points). Since ``from_unit`` carries the uniform
measure on the cube onto the space's distribution, indices on the unit cube are the
indices of the problem's inputs; scale-dependent measures (Morris' mu*, DGSM) are per unit
of the unit-transformed input.

Seeds: ``_plan`` draws one seed from the plan's generator, passes it to SALib's sampler and
stores it in ``design.info["seed"]``; the analysis (bootstrap confidence intervals) uses the
same seed. A given-data design that was not planned here has no seed; its analysis uses
the fixed seed ``_GIVEN_DATA_SEED`` so it still depends on the data only. SALib's FAST,
delta, PAWN and DGSM analyses seed numpy's *global* generator (``np.random.seed``); they run
with the global state saved and restored, and with warnings captured into
``Estimate.extras["warnings"]`` (SALib's delta also changes the global warning filters).
"""
from __future__ import annotations

import contextlib
import warnings
from numbers import Integral, Real

import numpy as np
from SALib.analyze import delta as delta_analyze
from SALib.analyze import dgsm as dgsm_analyze
from SALib.analyze import fast as fast_analyze
from SALib.analyze import morris as morris_analyze
from SALib.analyze import pawn as pawn_analyze
from SALib.analyze import rbd_fast as rbd_fast_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import fast_sampler, finite_diff, latin
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from threadpoolctl import threadpool_limits

from ..registry import register_estimator
from ..space import Space
from ._params import Interval
from .base import Design, Estimate, Estimator

__all__ = [
    "SALibSobol", "SALibMorris", "SALibFast", "SALibRbdFast", "SALibDelta", "SALibPawn", "SALibDgsm",
]

# Seed of the analysis of a given-data design that carries none (see the module docstring).
_GIVEN_DATA_SEED = 1
# Smallest base sample (Saltelli and finite-difference designs) whose bootstrap is defined.
_MIN_BASE = 4


def unit_problem(d: int) -> dict:
    """SALib's problem dict for the unit cube ``[0, 1]^d`` (names ``x0..x{d-1}``)."""
    return {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}


def draw_seed(rng: np.random.Generator) -> int:
    """A SALib seed from the plan's generator; never 0, which SALib reads as "unseeded"."""
    return int(rng.integers(1, 2**31))


@contextlib.contextmanager
def isolated_global_state(extras: dict):
    """Run a SALib call that seeds ``np.random`` or edits warning filters, then restore
    both; the warnings it raised go to ``extras["warnings"]``."""
    state = np.random.get_state()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        messages = list(dict.fromkeys(str(w.message) for w in caught))
        if messages:
            extras["warnings"] = messages
    finally:
        np.random.set_state(state)


def _at_least(low):
    return [Interval(Integral, low, None, closed="left")]


#: Constraints of the bootstrap options most adapters share.
_BOOTSTRAP = {"num_resamples": _at_least(2), "conf_level": [Interval(Real, 0.0, 1.0, closed="neither")]}


def _interval(center, half_width):
    center, half_width = np.asarray(center, float), np.abs(np.asarray(half_width, float))
    return center - half_width, center + half_width


class _SALib(Estimator):
    """Shared checks of the SALib adapters."""

    def _own_seed(self, design: Design) -> int:
        """The seed of a design this estimator planned (design estimators only)."""
        if "seed" not in design.info:
            raise ValueError(
                f"{self.name} analyses only its own plan (design.info has no 'seed'); "
                f"plan the design with {self.name}.plan"
            )
        return int(design.info["seed"])

    def _finite(self, design: Design, values, label, extras=None):
        """``values`` as floats, or a ValueError naming the inputs SALib returned NaN for."""
        values = np.asarray(values, float)
        bad = ~np.isfinite(values)
        if bad.any():
            names = [design.space.names[j] for j in np.flatnonzero(bad)]
            notes = (extras or {}).get("warnings", [])
            raise ValueError(
                f"{self.name}: SALib returned a non-finite {label} for {names} "
                f"(too few points or a constant input/output?){' ' + '; '.join(notes) if notes else ''}"
            )
        return values

    @staticmethod
    def _constant(d, *labels):
        """The convention for a constant output (SALib would divide by a zero variance):
        every importance, and every index in ``labels``, is 0."""
        zeros = np.zeros(d)
        return Estimate(names=[], importance=zeros, **{label: zeros.copy() for label in labels})


@register_estimator
class SALibSobol(_SALib):
    """Saltelli sampling + SALib's Sobol' analysis (Saltelli 2010 S1, Jansen ST).

    The base sample ``N`` is the largest power of two with ``N * (d + 2)`` (or
    ``N * (2d + 2)`` with ``calc_second_order``) evaluations within the budget.
    ``importance`` = ST; ``first``, ``total`` (and ``second``) with bootstrap CIs.
    ``target = "total"``: the importance is SALib's estimate of ST.

    Limitations
    -----------
    Its own design only (not given data). SALib's Saltelli sequence is not scrambled
    and its bootstrap treats quasi-random rows as i.i.d.; small indices may be negative.
    """

    name = "salib.sobol"
    target = "total"
    _parameter_constraints = {"calc_second_order": ["boolean"], **_BOOTSTRAP}

    def __init__(self, *, calc_second_order: bool = False, num_resamples: int = 100, conf_level: float = 0.95):
        self.calc_second_order = calc_second_order
        self.num_resamples = num_resamples
        self.conf_level = conf_level

    def _rows_per_base(self, d):
        return 2 * d + 2 if self.calc_second_order else d + 2

    def _min_budget(self, space: Space, gradient) -> int:
        return _MIN_BASE * self._rows_per_base(len(space))

    def _plan(self, space, budget, rng, gradient):
        d = len(space)
        n_base = 2 ** ((budget // self._rows_per_base(d)).bit_length() - 1)
        seed = draw_seed(rng)
        U = sobol_sample.sample(unit_problem(d), n_base, calc_second_order=self.calc_second_order, seed=seed)
        return Design.from_unit(space, U, n_base=n_base, seed=seed)

    def _analyze(self, design, y, gradient):
        seed = self._own_seed(design)
        d = len(design.space)
        if np.ptp(y) == 0:
            est = self._constant(d, "first", "total")
            est.second = np.zeros((d, d)) if self.calc_second_order else None
            return est
        Si = sobol_analyze.analyze(
            unit_problem(d), y, calc_second_order=self.calc_second_order,
            num_resamples=self.num_resamples, conf_level=self.conf_level, seed=seed,
        )
        first = self._finite(design, Si["S1"], "S1")
        total = self._finite(design, Si["ST"], "ST")
        second = None
        if self.calc_second_order:
            upper = np.nan_to_num(np.asarray(Si["S2"], float), nan=0.0)
            second = upper + upper.T
        return Estimate(
            names=[], importance=total, first=first, total=total, second=second,
            ci={"first": _interval(first, Si["S1_conf"]), "total": _interval(total, Si["ST_conf"])},
            extras={"n_base": int(design.info["n_base"])},
        )


@register_estimator
class SALibMorris(_SALib):
    """Morris elementary effects (SALib): ``r = budget // (d + 1)`` trajectories on a
    ``num_levels`` grid of the unit cube; ``importance`` = mu* with its bootstrap CI.

    ``optimal_trajectories=True`` selects the ``r`` trajectories out of ``pool * r``
    candidates that are most spread out (Campolongo et al. 2007; SALib's
    ``optimal_trajectories=r``, ``N=pool*r``, local optimisation).

    ``target = "derivative"``: mu* is a mean absolute elementary effect (a finite
    difference over a grid step), a screening measure, not a share of variance.

    Limitations
    -----------
    A coarse ``num_levels`` grid: effects that oscillate within a step are missed or
    aliased. mu* is per unit of the unit-transformed input, so it mixes effect size and
    non-linearity; it is not on the Sobol' scale.
    """

    name = "salib.morris"
    target = "derivative"
    _parameter_constraints = {"num_levels": _at_least(2), "optimal_trajectories": ["boolean"],
                              "pool": _at_least(2), **_BOOTSTRAP}

    def __init__(self, *, num_levels: int = 4, optimal_trajectories: bool = False, pool: int = 4,
                 num_resamples: int = 100, conf_level: float = 0.95):
        self.num_levels = num_levels
        self.optimal_trajectories = optimal_trajectories
        self.pool = pool
        self.num_resamples = num_resamples
        self.conf_level = conf_level

    def _min_budget(self, space: Space, gradient) -> int:
        return 2 * (len(space) + 1)

    def _plan(self, space, budget, rng, gradient):
        d = len(space)
        r = budget // (d + 1)
        seed = draw_seed(rng)
        if self.optimal_trajectories:
            U = morris_sample.sample(unit_problem(d), self.pool * r, num_levels=self.num_levels,
                                     optimal_trajectories=r, local_optimization=True, seed=seed)
        else:
            U = morris_sample.sample(unit_problem(d), r, num_levels=self.num_levels, seed=seed)
        # SALib's levels k/(p-1) include 0 and 1, whose quantiles are infinite for an
        # unbounded (Normal) input (8 sd after clipping: e.g. a negative borehole radius).
        # Such inputs take the centres (k + 1/2)/p of p equal-probability cells instead; the
        # map is affine, so each step keeps its input and direction (all SALib's analysis
        # reads) and _analyze rescales their effects by p/(p-1) to the same unit step.
        centred = [j for j, dist in enumerate(space.dists) if dist.kind == "normal"]
        p = self.num_levels
        U[:, centred] = (U[:, centred] * (p - 1) + 0.5) / p
        return Design.from_unit(space, U, trajectories=r, seed=seed, centred=centred)

    def _analyze(self, design, y, gradient):
        seed = self._own_seed(design)
        if np.ptp(y) == 0:
            return self._constant(len(design.space))
        Si = morris_analyze.analyze(
            unit_problem(len(design.space)), design.U, y, num_resamples=self.num_resamples,
            conf_level=self.conf_level, num_levels=self.num_levels, seed=seed,
        )
        scale = np.ones(len(design.space))
        scale[design.info.get("centred", [])] = self.num_levels / (self.num_levels - 1)
        mu_star = self._finite(design, Si["mu_star"], "mu_star") * scale
        return Estimate(
            names=[], importance=mu_star,
            ci={"importance": _interval(mu_star, np.asarray(Si["mu_star_conf"], float) * scale)},
            extras={"mu": np.asarray(Si["mu"], float) * scale,
                    "sigma": np.asarray(Si["sigma"], float) * scale,
                    "trajectories": int(design.info["trajectories"])},
        )


@register_estimator
class SALibFast(_SALib):
    """Extended FAST (SALib): ``N = budget // d`` points per search curve
    (``N > 4 M^2``); ``importance`` = ST, with S1 and bootstrap CIs.

    ``target = "total"``: eFAST estimates both S1 and ST; ``importance`` is its ST (the
    complementary-frequency variance), so it is ranked against ST.

    Limitations
    -----------
    Its own design only, ``d`` search curves of ``N`` points each. Interference between
    frequencies biases small indices (``M`` harmonics); the curves cover the cube
    unevenly for large ``d``.
    """

    name = "salib.fast"
    target = "total"
    _parameter_constraints = {"M": _at_least(1), **_BOOTSTRAP}

    def __init__(self, *, M: int = 4, num_resamples: int = 100, conf_level: float = 0.95):
        self.M = M
        self.num_resamples = num_resamples
        self.conf_level = conf_level

    def _min_budget(self, space: Space, gradient) -> int:
        return (4 * self.M**2 + 1) * len(space)

    def _plan(self, space, budget, rng, gradient):
        d = len(space)
        n = budget // d
        seed = draw_seed(rng)
        U = fast_sampler.sample(unit_problem(d), n, M=self.M, seed=seed)
        return Design.from_unit(space, U, n_curve=n, seed=seed)

    def _analyze(self, design, y, gradient):
        seed = self._own_seed(design)
        if np.ptp(y) == 0:
            return self._constant(len(design.space), "first", "total")
        extras = {"n_curve": int(design.info["n_curve"])}
        with isolated_global_state(extras):
            Si = fast_analyze.analyze(unit_problem(len(design.space)), y, M=self.M,
                                      num_resamples=self.num_resamples, conf_level=self.conf_level,
                                      seed=seed)
        first = self._finite(design, Si["S1"], "S1", extras)
        total = self._finite(design, Si["ST"], "ST", extras)
        return Estimate(
            names=[], importance=total, first=first, total=total,
            ci={"first": _interval(first, Si["S1_conf"]), "total": _interval(total, Si["ST_conf"])},
            extras=extras,
        )


class _GivenData(_SALib):
    """Given-data SALib analyses: plan a Latin hypercube (SALib's ``latin``), analyse any
    i.i.d. sample through its unit transform."""

    given_data = True

    def _plan(self, space, budget, rng, gradient):
        seed = draw_seed(rng)
        U = latin.sample(unit_problem(len(space)), budget, seed=seed)
        return Design.from_unit(space, U, seed=seed)

    @staticmethod
    def _seed(design):
        return int(design.info.get("seed", _GIVEN_DATA_SEED))


@register_estimator
class SALibRbdFast(_GivenData):
    """RBD-FAST first-order indices (Plischke 2010 / Tissot & Prieur 2012 bias
    correction) from any sample; ``importance`` = ``first`` = S1 with bootstrap CI.

    ``target = "first"``: the importance is the estimate of S1.

    Limitations
    -----------
    First-order only. The spectrum of ``y`` reordered by each input mixes in other
    inputs' effects (a positive bias for inert inputs, corrected only on average).
    """

    name = "salib.rbd_fast"
    target = "first"
    _parameter_constraints = {"M": _at_least(1), **_BOOTSTRAP}

    def __init__(self, *, M: int = 10, num_resamples: int = 100, conf_level: float = 0.95):
        self.M = M
        self.num_resamples = num_resamples
        self.conf_level = conf_level

    def _min_budget(self, space: Space, gradient) -> int:
        # the bootstrap analyses halves of the sample, whose spectrum needs more than 2M points
        return 4 * self.M + 2

    def _analyze(self, design, y, gradient):
        if np.ptp(y) == 0:
            return self._constant(len(design.space), "first")
        Si = rbd_fast_analyze.analyze(unit_problem(len(design.space)), design.unit_at_levels(), y, M=self.M,
                                      num_resamples=self.num_resamples, conf_level=self.conf_level,
                                      seed=self._seed(design))
        first = self._finite(design, Si["S1"], "S1")
        return Estimate(names=[], importance=first, first=first,
                        ci={"first": _interval(first, Si["S1_conf"])})


@register_estimator
class SALibDelta(_GivenData):
    """Borgonovo's moment-independent delta (Plischke et al. 2013 estimator, SALib) from
    any sample; ``importance`` = SALib's ``delta_raw`` (bias-reduced by bootstrap),
    ``first`` = its binned S1; CIs from the bootstrap. ``delta_balanced`` is in extras.

    The bootstrap also enters the estimate (bias reduction ``2 d_hat - mean(d_boot)``);
    ``num_resamples`` defaults to 10, SALib's command-line default (its Python default,
    100, makes the analysis ~10x slower: ~20 s at n = 4000, d = 3).

    ``target = "dependence"``: delta is the expected L1 distance between the output's
    density and its density given ``x_i``, a moment-independent dependence measure, not a
    share of variance.

    Limitations
    -----------
    Kernel density estimates: slow (a KDE per bin and resample) and biased upwards for
    inert inputs at small ``n`` (about 0.06 at a few hundred points).
    """

    name = "salib.delta"
    target = "dependence"
    _parameter_constraints = dict(_BOOTSTRAP)

    def __init__(self, *, num_resamples: int = 10, conf_level: float = 0.95):
        self.num_resamples = num_resamples
        self.conf_level = conf_level

    def _min_budget(self, space: Space, gradient) -> int:
        # SALib's balanced resampling needs bins of >= 10 points
        return 100

    def _analyze(self, design, y, gradient):
        if np.ptp(y) == 0:
            return self._constant(len(design.space), "first")
        extras = {}
        # thousands of tiny BLAS calls (1-D KDEs): extra BLAS threads only spin
        with isolated_global_state(extras), threadpool_limits(1):
            Si = delta_analyze.analyze(unit_problem(len(design.space)), design.unit_at_levels(), y,
                                       num_resamples=self.num_resamples, conf_level=self.conf_level,
                                       seed=self._seed(design), method="all")
        delta = self._finite(design, Si["delta_raw"], "delta", extras)
        first = self._finite(design, Si["S1"], "S1", extras)
        extras["delta_balanced"] = np.asarray(Si["delta_balanced"], float)
        return Estimate(
            names=[], importance=delta, first=first,
            ci={"importance": _interval(delta, Si["delta_raw_conf"]), "first": _interval(first, Si["S1_conf"])},
            extras=extras,
        )


@register_estimator
class SALibPawn(_GivenData):
    """PAWN (Pianosi & Wagener 2015; SALib's given-data version): Kolmogorov-Smirnov
    distance between the unconditional output CDF and the CDFs in ``S`` slices of each
    input; ``importance`` = the median over slices (min/mean/max/CV in extras).

    ``target = "dependence"``: a distance between output distributions
    (moment-independent), not a share of variance.

    Limitations
    -----------
    ``S`` slices of ``n / S`` points each: KS distances of small slices have a positive
    bias (inert inputs score above 0), and effects finer than a slice are averaged out.
    """

    name = "salib.pawn"
    target = "dependence"
    _parameter_constraints = {"S": _at_least(2)}

    def __init__(self, *, S: int = 10):
        self.S = S

    def _min_budget(self, space: Space, gradient) -> int:
        return 10 * self.S

    def _analyze(self, design, y, gradient):
        if np.ptp(y) == 0:
            return self._constant(len(design.space))
        extras = {}
        with isolated_global_state(extras):
            Si = pawn_analyze.analyze(unit_problem(len(design.space)), design.unit_at_levels(), y, S=self.S,
                                      seed=self._seed(design))
        median = self._finite(design, Si["median"], "PAWN median", extras)
        extras.update({k: np.asarray(Si[k], float) for k in ("minimum", "mean", "maximum", "CV")})
        return Estimate(names=[], importance=median, extras=extras)


@register_estimator
class SALibDgsm(_SALib):
    """Derivative-based measures (Sobol' & Kucherenko 2009, SALib): finite differences
    with a relative step ``delta`` at ``N = budget // (d + 1)`` Sobol' points;
    ``importance`` = SALib's ``dgsm`` = nu_i / (pi^2 V), the upper bound on ST for the
    (uniform) unit-transformed inputs, with bootstrap CI; ``vi`` in extras.

    SALib's ``finite_diff`` sampler ignores its seed (unscrambled Sobol' sequence), so
    the design is the same for every seed; only the bootstrap CI depends on it.

    ``target = "derivative"``: a mean squared derivative on the scale of an upper bound on
    ST, not an estimate of ST.

    Limitations
    -----------
    The same design for every seed (see above). A bound: loose for non-linear effects.
    Finite differences with a relative step ``delta`` of the unit cube; discrete inputs
    usually step within one level (derivative 0).
    """

    name = "salib.dgsm"
    target = "derivative"
    _parameter_constraints = {"delta": [Interval(Real, 0.0, 1.0, closed="neither")], **_BOOTSTRAP}

    def __init__(self, *, delta: float = 0.01, num_resamples: int = 100, conf_level: float = 0.95):
        self.delta = delta
        self.num_resamples = num_resamples
        self.conf_level = conf_level

    def _min_budget(self, space: Space, gradient) -> int:
        return _MIN_BASE * (len(space) + 1)

    def _plan(self, space, budget, rng, gradient):
        d = len(space)
        n_base = budget // (d + 1)
        seed = draw_seed(rng)
        U = finite_diff.sample(unit_problem(d), n_base, delta=self.delta, seed=seed)
        return Design.from_unit(space, U, n_base=n_base, seed=seed)

    def _analyze(self, design, y, gradient):
        seed = self._own_seed(design)
        if np.ptp(y[:: len(design.space) + 1]) == 0:  # constant at the base points
            return self._constant(len(design.space))
        extras = {}
        with isolated_global_state(extras):
            Si = dgsm_analyze.analyze(unit_problem(len(design.space)), design.U, y,
                                      num_resamples=self.num_resamples, conf_level=self.conf_level,
                                      seed=seed)
        dgsm = self._finite(design, Si["dgsm"], "dgsm", extras)
        extras.update({"vi": np.asarray(Si["vi"], float), "vi_std": np.asarray(Si["vi_std"], float)})
        return Estimate(names=[], importance=dgsm, ci={"importance": _interval(dgsm, Si["dgsm_conf"])},
                        extras=extras)
