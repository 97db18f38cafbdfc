"""Importance per objective: loss, training cost, memory and the Pareto front side by side.

Built from the store alone (SQLite or its CSV/Parquet export), from the cells that record an
``objective`` (sweeps with an ``objectives`` axis):

* **Truth by objective.** Per problem, the exact total index ST of every parameter under every
  objective (``truth_total`` of the cells), the top parameter of each objective, and per
  objective the parameter whose ST moves most away from the loss's.
* **Estimator accuracy by objective.** Median target-matched ``spearman`` and
  ``weighted_tau`` per estimator, objective and budget, pooled over problems and seeds, with
  the cells counted; estimators that fail, give no score or drop far below their loss accuracy
  on another objective are named.
* **Figures.** A heat map of ST (parameters x objectives) per problem, and for a few
  representative problems the true index per parameter coloured by objective with one
  estimator's median estimate as markers.

Usage: ``python -m benchsens.reports.objectives STORE --out DIR``; ``benchsens report`` adds this
section (``objectives.md``) when one problem has cells of at least two objectives.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..pareto import DEFAULT_EPS
from ..store import _decode_array as _vector
from . import _tables
from ._tables import MISSING, Table, _num

__all__ = ["build_objectives", "write_section", "has_objectives", "truth", "shifts", "top_parameters", "accuracy",
           "OBJECTIVE_ORDER"]

#: Display order of the objectives (others follow alphabetically).
OBJECTIVE_ORDER = ("loss", "log_time", "time", "memory", "pareto", "pareto_eps")
#: Colour of each objective in the figures (tab10 / tab20 entries; Pareto ones a green pair).
_COLOURS = {"loss": (0.122, 0.467, 0.706), "log_time": (1.0, 0.498, 0.055), "time": (0.549, 0.337, 0.294),
            "memory": (0.580, 0.404, 0.741), "pareto": (0.173, 0.627, 0.173),
            "pareto_eps": (0.596, 0.875, 0.541)}
#: Representative problems of the side-by-side figure (the first HPOBench MLP data set first).
REPRESENTATIVE = ("svc_digits", "mlp_digits", "svc_digits_kernels")
#: An estimator "breaks" on an objective when its median wtau falls this far below its loss one.
DROP = 0.3


def _order(objectives) -> list[str]:
    objectives = set(objectives)
    return [o for o in OBJECTIVE_ORDER if o in objectives] + sorted(objectives - set(OBJECTIVE_ORDER))


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``frame`` sorted by the columns ``by``, where ``"objective"`` sorts in :func:`_order`."""
    rank = {o: i for i, o in enumerate(_order(frame["objective"]))}
    key = [c if c != "objective" else "_o" for c in by]
    out = frame.assign(_o=frame["objective"].map(rank)).sort_values(key)
    return out.drop(columns=["_o"]).reset_index(drop=True)


def _several(df: pd.DataFrame) -> pd.DataFrame:
    """The cells (of :func:`benchsens.reports.load_cells`) with a recorded objective whose
    problem (the ``surface`` column added: name, parameters and, as in the general tables'
    ``problem_label``, the non-zero noise and replicate ``setting``, also added) has two or
    more objectives. A registered name such as ``svc_digits.log_time`` counts as ``svc_digits``."""
    from ._data import _label_with, _params_text, _problem_labels

    df = df[df["objective"].notna()].copy()
    df["objective"] = df["objective"].astype(str)
    base = [n[: -len(o) - 1] if n.endswith("." + o) else n
            for n, o in zip(df["base_problem"].astype(str), df["objective"])]
    df["setting"] = _problem_labels(df.assign(problem="", params=None, regime="design")).str.strip()
    surface = _label_with(pd.Series(base, index=df.index, dtype=object), _params_text(df["params"]))
    df["surface"] = _label_with(surface, df["setting"])
    return df[df.groupby("surface")["objective"].transform("nunique") >= 2]


def has_objectives(df: pd.DataFrame) -> bool:
    """True when the cells table of :func:`benchsens.reports.load_cells` holds some problem
    under at least two objectives (the condition for this section)."""
    return not _several(df).empty


def truth(df: pd.DataFrame) -> pd.DataFrame:
    """Long table of the exact indices: problem, parameter, objective, ST, S1 (from the first
    cell, by key, of each problem and objective that records a truth)."""
    rows = []
    has = df[df["names"].notna() & df["truth_total"].notna()]
    for (surface, objective), g in has.groupby(["surface", "objective"], sort=False):
        c = g.iloc[0]
        names = json.loads(c["names"])
        total, first = _vector(c["truth_total"]), _vector(c["truth_first"])
        for i, name in enumerate(names):
            rows.append({"problem": surface, "parameter": name, "position": i, "objective": objective,
                         "ST": total[i], "S1": first[i] if first is not None else np.nan})
    out = pd.DataFrame(rows, columns=["problem", "parameter", "position", "objective", "ST", "S1"])
    if out.empty:
        return out
    return _sorted(out, ["problem", "objective", "position"])


def _wide(t: pd.DataFrame, column: str = "ST") -> dict[str, pd.DataFrame]:
    """Problem -> parameters x objectives frame of ``column`` (parameters in store order)."""
    out = {}
    for problem, g in t.groupby("problem", sort=True):
        w = g.pivot(index=["position", "parameter"], columns="objective", values=column)
        w = w.reset_index(level=0, drop=True).rename_axis(index=None, columns=None)
        out[problem] = w[_order(w.columns)]
    return out


def shifts(wide: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per problem and objective other than the loss (``wide``: :func:`_wide` of the truth): the
    parameter whose ST differs most from its ST for the loss, its ST under every objective, and
    the signed shift (objective - loss)."""
    rows = []
    objectives = _order({o for w in wide.values() for o in w.columns})
    for problem, w in wide.items():
        if "loss" not in w:
            continue
        for o in w.columns:
            if o == "loss":
                continue
            diff = (w[o] - w["loss"]).to_numpy()
            if np.all(np.isnan(diff)):
                continue
            i = int(np.nanargmax(np.abs(diff)))
            row = {"problem": problem, "objective": o, "parameter": w.index[i]}
            row.update({f"ST {k}": (w[k].iloc[i] if k in w else np.nan) for k in objectives})
            row["shift"] = diff[i]
            rows.append(row)
    return pd.DataFrame(rows, columns=["problem", "objective", "parameter",
                                       *[f"ST {k}" for k in objectives], "shift"])


def top_parameters(wide: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per problem and objective (``wide``: :func:`_wide` of the truth), the parameter with the
    largest ST and that ST."""
    rows = []
    for problem, w in wide.items():
        for o in w.columns:
            if w[o].notna().any():
                rows.append({"problem": problem, "objective": o, "parameter": w[o].idxmax(),
                             "ST": float(w[o].max())})
    return pd.DataFrame(rows, columns=["problem", "objective", "parameter", "ST"])


def _flat(text) -> bool:
    """An importance vector with every entry equal (e.g. all zero: a constant sample)."""
    v = _vector(text)
    return v is not None and bool(np.all(np.isfinite(v))) and float(np.ptp(v)) <= 1e-12


def accuracy(df: pd.DataFrame) -> pd.DataFrame:
    """Per estimator, regime, setting (noise, replicate: never pooled), objective and budget:
    problems, cells, ok cells, scored cells,
    ``flat`` ok cells (every parameter equally important: nothing ranked) and the median
    target-matched ``spearman`` and ``weighted_tau`` of the scored ok cells."""
    d = df.assign(ok=df["status"] == "ok")
    d = d.assign(scored=d["ok"] & d["weighted_tau"].notna(), flat=d["ok"] & d["importance"].map(_flat))
    keys = ["estimator_label", "regime", "setting", "objective", "budget"]
    g = d.groupby(keys)
    out = g.agg(problems=("surface", "nunique"), cells=("ok", "size"), ok=("ok", "sum"),
                scored=("scored", "sum"), flat=("flat", "sum")).reset_index()
    med = d[d["scored"]].groupby(keys)[["spearman", "weighted_tau"]].median().reset_index()
    out = out.merge(med, on=keys, how="left").rename(columns={"estimator_label": "estimator"})
    return _sorted(out, ["estimator", "regime", "setting", "budget", "objective"])


def breaks(acc: pd.DataFrame) -> list[str]:
    """Sentences naming estimator x objective x budget groups that fail, give no score, or
    whose median wtau falls more than :data:`DROP` below the same estimator's on the loss."""
    out = []
    loss = acc[acc["objective"] == "loss"].set_index(["estimator", "regime", "setting", "budget"])["weighted_tau"]
    for r in acc.itertuples(index=False):
        why = []
        if r.ok < r.cells:
            why.append(f"{r.cells - r.ok} of {r.cells} cells failed")
        if r.scored < r.ok:
            why.append(f"{r.ok - r.scored} of {r.ok} finished cells have no score")
        if r.flat:
            why.append(f"{r.flat} of {r.ok} finished cells rank nothing (equal importance everywhere)")
        base = loss.get((r.estimator, r.regime, r.setting, r.budget), np.nan)
        if r.objective != "loss" and np.isfinite(base) and np.isfinite(r.weighted_tau) \
                and r.weighted_tau < base - DROP:
            why.append(f"median wtau {r.weighted_tau:.2f} against {base:.2f} on the loss")
        if why:
            setting = f" ({r.setting})" if r.setting else ""
            out.append(f"{r.estimator} on {r.objective}{setting} at budget {r.budget}: " + "; ".join(why))
    return out


# -- tables ----------------------------------------------------------------------------------
def _truth_table(t: pd.DataFrame, wide: dict[str, pd.DataFrame]) -> Table:
    sections = []
    for problem, w in wide.items():
        show = pd.DataFrame({"parameter": w.index})
        for o in w.columns:
            show[f"ST {o}"] = [_num(v) for v in w[o]]
        sections.append((problem, show))
    return Table("objectives_truth", "Exact total indices ST per problem, parameter and objective", sections,
                 t, "Exact total-order Sobol' indices of each objective (the cells' recorded truth); "
                 "the parameters that shift most are in objectives_shift. The CSV also holds S1.")


def _shift_table(shift: pd.DataFrame) -> Table:
    show = pd.DataFrame({"problem": shift["problem"], "objective": shift["objective"],
                         "parameter": shift["parameter"]})
    for col in [c for c in shift.columns if c.startswith("ST ")]:
        show[col] = [_num(v) for v in shift[col]]
    show["shift"] = [_num(v) for v in shift["shift"]]
    return Table("objectives_shift", "Parameter whose importance shifts most from the loss, per objective",
                 [(None, show)], shift,
                 "Per problem and objective, the parameter with the largest |ST(objective) - ST(loss)|, "
                 f"its exact ST under every objective ({MISSING}: objective not run on that problem) "
                 "and the signed shift.")


def _top_table(top: pd.DataFrame) -> Table:
    objectives = _order(top["objective"])
    rows = []
    for problem, g in top.groupby("problem", sort=True):
        cell = {r.objective: f"{r.parameter} ({r.ST:.2f})" for r in g.itertuples()}
        rows.append({"problem": problem, **{o: cell.get(o, MISSING) for o in objectives}})
    show = pd.DataFrame(rows, columns=["problem", *objectives])
    return Table("objectives_top", "The most important parameter of each objective", [(None, show)], top,
                 "Per problem and objective, the parameter with the largest exact ST (in brackets).")


def _accuracy_table(acc: pd.DataFrame) -> Table:
    objectives = _order(acc["objective"])
    sections = []
    for budget, part in acc.groupby("budget", sort=True):
        rows = []
        for (est, regime, setting), g in part.groupby(["estimator", "regime", "setting"], sort=True):
            by = g.set_index("objective")
            row = {"estimator": est, "regime": f"{regime} {setting}".strip()}
            for o in objectives:
                if o not in by.index:
                    row[o] = MISSING
                    continue
                r = by.loc[o]
                row[o] = (f"{_num(r['weighted_tau'], 2)} / {_num(r['spearman'], 2)} "
                          f"({int(r['scored'])}/{int(r['cells'])})")
            rows.append(row)
        sections.append((f"budget {budget}", pd.DataFrame(rows, columns=["estimator", "regime", *objectives])))
    return Table("objectives_accuracy", "Estimator accuracy per objective", sections, acc,
                 "Median target-matched wtau / rho over the scored cells of every problem and seed "
                 "(scored/cells in brackets: failed cells and cells without a score are left out of the "
                 f"median; {MISSING}: not run).")


# -- figures ---------------------------------------------------------------------------------
def _colour(objective):
    """Fixed colours for the known objectives; others take a grey."""
    return _COLOURS.get(objective, (0.5, 0.5, 0.5))


def _heatmap(wide: dict[str, pd.DataFrame], problems: list[str], outdir: Path, formats) -> list[str]:
    """Small multiples: one ST heat map (parameters x objectives) per problem, one colour scale."""
    import seaborn as sns
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    from ._figures import _figure, _save

    problems = [p for p in problems if p in wide]
    if not problems:
        return []
    ncol = min(4, len(problems))
    nrow = math.ceil(len(problems) / ncol)
    d = max(len(wide[p]) for p in problems)
    k = max(wide[p].shape[1] for p in problems)
    panel_w, panel_h = 1.4 + 0.55 * k, 0.9 + 0.3 * d
    fig = _figure(panel_w * ncol + 0.9, panel_h * nrow + 0.8)
    grid = fig.add_gridspec(nrow, ncol + 1, width_ratios=[1] * ncol + [0.06])
    norm = Normalize(0, 1)
    for i, p in enumerate(problems):
        ax = fig.add_subplot(grid[i // ncol, i % ncol])
        ax.grid(False)
        sns.heatmap(wide[p], ax=ax, vmin=0, vmax=1, cmap="viridis", annot=True, fmt=".2f", cbar=False,
                    annot_kws={"fontsize": 6.5}, linewidths=0.4, linecolor="white")
        ax.set_title(p, fontsize=8.5)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(axis="x", labelrotation=35, labelsize=7)
        ax.tick_params(axis="y", labelrotation=0, labelsize=7)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    cax = fig.add_subplot(grid[:, ncol])
    fig.colorbar(ScalarMappable(norm=norm, cmap="viridis"), cax=cax, label="exact total index ST")
    fig.suptitle("Exact total index ST per parameter (rows) and objective (columns)", y=0.995, va="top")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()))
    return _save(fig, outdir, "objectives_truth_heatmap", formats, quantize=False)


def _estimates(df: pd.DataFrame, t: pd.DataFrame, problems: list[str], estimator: str | None):
    """Long frame (problem, parameter, objective, ST, S1, estimate) with one estimator's median
    Sobol'-scale estimate at its largest budget; its description; and which index it
    estimates (``"total"`` when it gives total-order estimates, else ``"first"``)."""
    ok = df[(df["status"] == "ok") & df["surface"].isin(problems)]
    candidates = ok[ok["total"].notna() | ok["first"].notna()]
    if candidates.empty:
        return None, None, None
    labels = set(candidates["estimator_label"])
    if estimator not in labels:
        estimator = "fanova" if "fanova" in labels else candidates["estimator_label"].value_counts().idxmax()
    part = candidates[candidates["estimator_label"] == estimator]
    kind = "total" if part["total"].notna().any() else "first"
    budget = int(part["budget"].max())
    part = part[part["budget"] == budget]
    rows = []
    for (surface, objective), g in part.groupby(["surface", "objective"]):
        med = np.median(np.vstack([_vector(v) for v in g[kind].dropna()]), axis=0)
        true = t[(t["problem"] == surface) & (t["objective"] == objective)].set_index("parameter")
        for i, n in enumerate(json.loads(g["names"].iloc[0])):
            rows.append({"problem": surface, "parameter": n, "position": i, "objective": objective,
                         "ST": true["ST"].get(n, np.nan), "S1": true["S1"].get(n, np.nan),
                         "estimate": med[i]})
    return pd.DataFrame(rows), f"{estimator} at budget {budget}", kind


def _side_by_side(est: pd.DataFrame, what: str, kind: str, outdir: Path, formats) -> list[str]:
    """Per problem: bars of the exact ST (light) and S1 (solid) per parameter, one colour per
    objective; the estimator's median estimate as a diamond on each bar."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ._figures import _figure, _save

    problems = list(dict.fromkeys(est["problem"]))
    objectives = _order(est["objective"])
    ncol = min(2, len(problems))
    nrow = math.ceil(len(problems) / ncol)
    fig = _figure(6.0 * ncol, 2.9 * nrow + 1.1)
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    index = "ST" if kind == "total" else "S1"
    for ax, p in zip(axes, problems):
        g = est[est["problem"] == p]
        params = list(g.sort_values("position")["parameter"].drop_duplicates())
        x = np.arange(len(params))
        present = [o for o in objectives if g.loc[g["objective"] == o, "ST"].notna().any()]
        width = 0.8 / max(1, len(present))
        for j, o in enumerate(present):  # the objectives run on this problem, side by side
            h = g[g["objective"] == o].set_index("parameter").reindex(params)
            pos = x + (j - (len(present) - 1) / 2) * width
            ax.bar(pos, h["ST"], width=width * 0.92, color=_colour(o), alpha=0.35, linewidth=0)
            ax.bar(pos, h["S1"], width=width * 0.92, color=_colour(o), linewidth=0)
            ax.plot(pos, h["estimate"], linestyle="none", marker="D", markersize=3.5,
                    markerfacecolor="white", markeredgecolor="black", markeredgewidth=0.8)
        ax.set_xticks(x, params)
        ax.tick_params(axis="x", labelrotation=20, labelsize=7.5)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
        ax.set_ylim(0, max(1.0, float(np.nanmax(g[["ST", "estimate"]].to_numpy())) * 1.05))
        ax.set_title(p, fontsize=9)
        ax.set_ylabel("exact index")
        ax.grid(axis="x", visible=False)
    for ax in axes[len(problems):]:
        ax.set_visible(False)
    handles = [Patch(facecolor=_colour(o), label=o) for o in objectives]
    handles += [Patch(facecolor="0.3", label="S1 (solid)"),
                Patch(facecolor="0.3", alpha=0.35, label="ST (light, to top)"),
                Line2D([], [], linestyle="none", marker="D", markersize=4.5, markerfacecolor="white",
                       markeredgecolor="black", label=f"median {index} estimate, {what}")]
    height = fig.get_figheight()
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False,
               bbox_to_anchor=(0.5, 0.02 / height), fontsize=7.5, handlelength=1.2, columnspacing=1.2)
    fig.suptitle(f"Exact indices per parameter and objective; diamonds: median {index} estimate of {what}",
                 y=1 - 0.08 / height, va="top")
    fig.tight_layout(rect=(0, 0.4 / height, 1, 1 - 0.3 / height))
    return _save(fig, outdir, "objectives_estimates", formats)


def _representative(problems) -> list[str]:
    problems = sorted(set(problems))
    hpo = [p for p in problems if p.startswith("hpobench_mlp.")]
    picks = hpo[:1] + [p for p in REPRESENTATIVE if p in problems]
    return picks or problems[:4]


def _heatmap_problems(df: pd.DataFrame, problems) -> list[str]:
    """HPOBench MLP data sets and our own grids (tag ``sklearn``), else every problem."""
    ours = set()
    if "tags" in df:
        ours = {s for s, tags in zip(df["surface"], df["tags"]) if isinstance(tags, tuple) and "sklearn" in tags}
    picks = sorted(p for p in set(problems) if p.startswith("hpobench_mlp.") or p in ours)
    return picks or sorted(set(problems))


# -- the page --------------------------------------------------------------------------------
def _howto() -> str:
    return (
        "**How to read this.** Each objective of a problem is its own response surface over the same "
        "parameters, with its own exact Sobol' indices. `loss` is the validation loss; `log_time` is "
        "log10 of the recorded training seconds: raw seconds are heavy-tailed on some tables (see the "
        "README), so their variance decomposition would be a few outliers', while on the log scale an index measures how "
        "much a parameter multiplies the cost. `memory` is the peak traced MiB of one fit (our own "
        "grids). `pareto` is the indicator 1 off / 0 on the Pareto front of (mean loss, mean log10 "
        "seconds) over the grid: its indices say which parameters decide whether a configuration is "
        f"Pareto-optimal. `pareto_eps` is 1 when a configuration is farther than eps = {DEFAULT_EPS} "
        "from that front (additive epsilon-indicator, each objective rescaled by its range over the "
        "grid): a softer notion, \"nearly Pareto-optimal\", with more configurations at 0. Both "
        "indicators are 0/1 surfaces, and the front holds few configurations: a small random sample "
        "may hold none, so the indicator is constant on the data and an estimator can only return "
        "equal importance for every parameter (wtau 0); an estimator that assumes a smooth output "
        "may also rank them worse than the loss. ST is the total index (share of the variance a parameter "
        "takes part in, interactions included); a parameter with a large ST for `log_time` and a small "
        "one for `loss` drives cost, not accuracy.")


def _summary(top: pd.DataFrame, shift: pd.DataFrame) -> str:
    """One line per problem: the top parameter of each objective, and the parameter whose ST
    moves most from the loss's for each other objective of that problem."""
    lines = []
    for problem, g in top.groupby("problem", sort=True):
        g = g.set_index("objective").loc[_order(g["objective"])]
        tops = ", ".join(f"{o} {r['parameter']} ({r['ST']:.2f})" for o, r in g.iterrows())
        moved = [f"{r['parameter']} for {r['objective']} (ST {r['ST loss']:.2f} for the loss, "
                 f"{r['ST ' + r['objective']]:.2f} for {r['objective']})"
                 for r in shift.to_dict("records") if r["problem"] == problem]
        lines.append(f"- **{problem}**: top parameter: {tops}."
                     + (f" Most shifted from the loss: {'; '.join(moved)}." if moved else ""))
    return "\n".join(lines)


def build_objectives(store, out, page: str = "objectives.md", figure_formats=("png", "pdf"),
                     estimator: str | None = None) -> Path:
    """Write the objectives section of ``store`` into ``out`` (``page``,
    ``tables/objectives_*.{md,tex,csv}``, ``figures/objectives_*``) and return the page's path.

    ``estimator`` (label) is the one whose median estimates the side-by-side figure shows;
    default ``fanova`` when it ran, else the estimator with the most Sobol'-scale estimates.
    """
    from ._data import load_cells

    from . import _check_formats

    return write_section(load_cells(store)[0], out, page, _check_formats(figure_formats), estimator, source=store)


def write_section(cells: pd.DataFrame, out, page: str = "objectives.md", formats=("png", "pdf"),
                  estimator: str | None = None, source="the store") -> Path:
    """:func:`build_objectives` from the cells table of :func:`benchsens.reports.load_cells`
    (``build_report`` passes the table it has already read)."""
    out = Path(out)
    df = _several(cells)
    if df.empty:
        raise ValueError(f"{source}: no problem has cells of two or more objectives")
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    t = truth(df)
    wide = _wide(t)
    shift, top, acc = shifts(wide), top_parameters(wide), accuracy(df)
    tables = [_truth_table(t, wide), _shift_table(shift), _top_table(top), _accuracy_table(acc)]
    for table in tables:
        for ext, writer in (("md", _tables.to_markdown), ("tex", _tables.to_latex), ("csv", _tables.to_csv)):
            (out / "tables" / f"{table.name}.{ext}").write_text(writer(table), encoding="utf-8")

    import seaborn as sns

    from ._figures import _THEME

    est, what, kind = _estimates(df, t, _representative(t["problem"]), estimator)
    with sns.axes_style("whitegrid"), sns.plotting_context("paper", rc=_THEME):
        heat = _heatmap(wide, _heatmap_problems(df, t["problem"]), out / "figures", formats)
        bars = _side_by_side(est, what, kind, out / "figures", formats) if est is not None else []
    png = [f for f in heat + bars if f.endswith(".png")] or heat + bars  # the page links PNGs

    broken = breaks(acc)
    # each table without its caption, its section headings one level down
    md = {tb.name: _tables.to_markdown(tb).split("\n", 2)[2].replace("\n## ", "\n### ") for tb in tables}
    text = [
        "# Importance per objective: loss, cost, memory and the Pareto front", "",
        f"{len(df)} cells of {df['surface'].nunique()} problems under {df['objective'].nunique()} objectives "
        f"({', '.join(_order(df['objective']))}), {df['estimator_label'].nunique()} estimators, budgets "
        f"{sorted(int(b) for b in df['budget'].unique())}, {df['seed'].nunique()} seeds. Regenerate: "
        "`python -m benchsens.reports.objectives STORE --out DIR`.", "",
        _howto(), "",
        "## Which parameters drive accuracy, cost and Pareto-optimality", "",
        _summary(top, shift), "",
        md["objectives_top"],
        "### The parameter that shifts most from the loss, per objective", "",
        md["objectives_shift"],
        "Every parameter's exact ST under every objective: `tables/objectives_truth.md` "
        "(`.csv` with S1 too).", "",
        *[f"![{f}](figures/{f})\n" for f in png if "heatmap" in f],
        "## Estimated against true importance", "",
        *([f"Bars: the exact indices of each objective, S1 solid and ST light (the bar's full "
           f"height); diamonds: the median {'ST' if kind == 'total' else 'S1'} estimate over seeds of "
           f"{what} (its largest budget), to compare with the "
           f"{'full bar' if kind == 'total' else 'solid part'}. Problems: "
           f"{', '.join(dict.fromkeys(est['problem']))}.",
           ""] if est is not None else
          ["(no estimator in this store gives Sobol'-scale estimates on these problems)", ""]),
        *[f"![{f}](figures/{f})\n" for f in png if "estimates" in f],
        "## Estimator accuracy per objective", "",
        md["objectives_accuracy"],
        ("Where estimators break: " + "; ".join(broken) + "." if broken else
         f"No estimator fails, loses its score or falls more than {DROP} in median wtau below its "
         "loss accuracy on another objective."), "",
    ]
    path = out / page
    path.write_text("\n".join(text), encoding="utf-8")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the objectives section from a store whose cells "
                                                 "record several objectives.")
    parser.add_argument("store")
    parser.add_argument("--out", required=True)
    parser.add_argument("--figure-formats", default="png,pdf")
    parser.add_argument("--estimator", default=None, help="estimator of the side-by-side figure")
    args = parser.parse_args(argv)
    try:
        print(build_objectives(args.store, args.out, figure_formats=args.figure_formats.split(","),
                               estimator=args.estimator))
    except (ValueError, FileNotFoundError) as exc:  # a user's mistake: one line, exit 2
        parser.error(str(exc))


if __name__ == "__main__":
    main()
