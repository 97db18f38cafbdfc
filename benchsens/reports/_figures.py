"""The report's figures (seaborn on matplotlib's Agg canvas, no pyplot state), each saved in
every requested format. One colour and marker per estimator across all figures
(:func:`styles`); oracle estimators are drawn dashed and labelled ``[oracle]``."""
from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator
from PIL import Image

from . import _tables

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "p", "h", "*", "d")
_THEME = {"axes.titlesize": 9, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
          "legend.fontsize": 8, "figure.titlesize": 11, "svg.hashsalt": "benchsens"}


def styles(estimators) -> dict:
    """Estimator label -> dict(color, marker, linestyle): tab20's dark tones first, then its
    light tones, each with a different marker, so no two estimators share both."""
    tab = sns.color_palette("tab20", 20)
    colors = tab[0::2] + tab[1::2]
    out = {}
    for i, est in enumerate(sorted(estimators)):
        out[est] = {"color": colors[i % 20], "marker": _MARKERS[(i + i // 20) % len(_MARKERS)],
                    "linestyle": "--" if est.endswith("[oracle]") else "-"}
    return out


def _figure(width, height):
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _save(fig, outdir, name, formats, dpi=90, quantize=True) -> list[str]:
    """Write ``fig`` in every format (no ``bbox_inches="tight"``: the layout is final, and a
    tight box would draw the figure twice per file). PNGs of line plots are quantised to 256
    colours (a third of the size, same look); colour scales (``quantize=False``) are not."""
    files = []
    for fmt in formats:
        path = outdir / f"{name}.{fmt}"
        meta = {"CreationDate": None} if fmt == "pdf" else {"Software": None} if fmt == "png" else None
        if fmt == "png":  # re-encoded by Pillow: optimised, and quantised unless told not to
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi, metadata=meta)
            buf.seek(0)
            with Image.open(buf) as img:
                img = img.convert("RGB")
                if quantize:
                    img = img.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
                img.save(path, optimize=True)
        else:
            fig.savefig(path, dpi=dpi, metadata=meta)
        files.append(path.name)
    return files


def _legend_height(style, ncol) -> float:
    """Inches a bottom legend of ``style`` in ``ncol`` columns needs (title included)."""
    return 0.5 + 0.2 * math.ceil(len(style) / ncol) if style else 0.0


def _layout(fig, style=None, ncol=1, title=None):
    """Tight layout leaving room for a title on top and the estimator legend below."""
    height = fig.get_figheight()
    bottom = _legend_height(style, ncol) / height
    top = 1 - (0.4 / height if title else 0.0)
    if title:
        fig.suptitle(title, y=1 - 0.1 / height, va="top")
    fig.tight_layout(rect=(0, bottom, 1, top))
    if style:
        handles = [Line2D([], [], color=s["color"], marker=s["marker"], linestyle=s["linestyle"],
                          markersize=6, label=est) for est, s in style.items()]
        fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.02 / height), ncol=ncol,
                   frameon=False, title="estimator")


def _budget_axis(ax, budgets):
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(budgets))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([str(b) for b in budgets])


def _plain_log_labels(axis):
    """Log-axis labels as plain numbers (0.02, 0.1, 10); on axes spanning less than 2.5
    decades the minor ticks at 2 and 5 are labelled too (call after plotting)."""
    ax = axis.axes
    lo, hi = ax.get_xlim() if axis is ax.xaxis else ax.get_ylim()  # (autoscaled) limits
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    if lo > 0 and np.log10(hi / lo) < 2.5:
        def minor(v, _):
            mantissa = v / 10 ** np.floor(np.log10(v) + 1e-9)
            return f"{v:g}" if np.isclose(mantissa, 2) or np.isclose(mantissa, 5) else ""
        axis.set_minor_formatter(FuncFormatter(minor))
    else:
        axis.set_minor_formatter(NullFormatter())


def _dodge(budgets, i, n):
    """Budgets shifted slightly per estimator on the log axis so error bars do not overlap."""
    return np.asarray(budgets, float) * 2 ** (0.25 * (i - (n - 1) / 2) / max(n - 1, 1))


#: More problems than this are pooled into one panel per objective (or one panel) in the
#: accuracy-against-budget figure, which would otherwise be too tall to read.
MAX_PANELS = 40


def _panels(ok) -> tuple[pd.Series, str]:
    """The panel of each row: its problem, or with more than :data:`MAX_PANELS` problems its
    objective pooled over problems; and what the interquartile range is taken over."""
    if ok["problem_label"].nunique() <= MAX_PANELS:
        return ok["problem_label"], "seeds"
    objective = ok["objective"] if "objective" in ok else pd.Series("", index=ok.index)
    label = objective.fillna("")
    counts = ok.groupby(label)["problem"].nunique()
    return (label.map(lambda o: f"{o + ': ' if o else ''}all {counts[o]} problems"),
            "problems and seeds")


def accuracy_vs_budget(df, style, outdir, formats):
    ok = df[df["status"] == "ok"].copy()
    ok["panel"], over = _panels(ok)
    q = _tables._quartiles(ok, ["panel", "estimator_label", "budget"], ["weighted_tau"]).reset_index()
    q = q[q["weighted_tau_n"] > 0]
    problems = sorted(q["panel"].unique())
    if not problems:
        return []
    budgets = sorted(df["budget"].unique())
    ncol = min(4, len(problems))
    nrow = math.ceil(len(problems) / ncol)
    legend_ncol = min(len(style), 6)
    fig = _figure(max(3.3 * ncol, 8.0), 2.5 * nrow + 0.4 + _legend_height(style, legend_ncol))
    axes = fig.subplots(nrow, ncol, squeeze=False, sharex=True)
    ests = list(style)
    for ax, problem in zip(axes.flat, problems):
        part = q[q["panel"] == problem]
        for i, est in enumerate(ests):
            e = part[part["estimator_label"] == est]
            if e.empty:
                continue
            s = style[est]
            x = _dodge(e["budget"], i, len(ests))
            ax.errorbar(x, e["weighted_tau_median"],
                        yerr=[e["weighted_tau_median"] - e["weighted_tau_q25"], e["weighted_tau_q75"] - e["weighted_tau_median"]],
                        color=s["color"], marker=s["marker"], linestyle=s["linestyle"], markersize=4,
                        linewidth=1.1, elinewidth=0.8, capsize=0)
        ax.set_title(problem)
        _budget_axis(ax, budgets)
        ax.set_ylim(min(-0.05, part["weighted_tau_q25"].min() - 0.05), 1.05)
        ax.axhline(0.9, color="0.5", linewidth=0.7, linestyle=":")
    for ax in axes.flat[len(problems):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("weighted tau (target-matched)")
    for i, ax in enumerate(axes.flat[:len(problems)]):
        ax.tick_params(labelbottom=True)
        if i + ncol >= len(problems):  # no panel below: label the axis
            ax.set_xlabel("budget (evaluations)")
    _layout(fig, style, legend_ncol, f"Accuracy against budget (median and IQR over {over}; dotted: 0.9)")
    return _save(fig, outdir, "accuracy_vs_budget", formats)


def data_profiles(df, style, outdir, formats):
    panels = []
    for col, (how, levels) in _tables.PROFILE_TARGETS.items():
        hits = _tables.first_hits(df, col, how, levels)
        if not hits.empty:
            panels.append((col, how, levels, hits))
    if not panels:
        return []
    budgets = sorted(df["budget"].unique())
    legend_ncol = min(len(style), 5)
    fig = _figure(5.2 * len(panels), 4.4 + _legend_height(style, legend_ncol))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    titles = {"weighted_tau": "targets: weighted tau >= {}", "mae_total": "targets: MAE of ST <= {}"}
    for ax, (col, how, levels, hits) in zip(axes, panels):
        for est, part in hits.groupby("estimator_label", sort=True):
            s = style[est]
            first = part["first"].to_numpy()
            ys = [np.mean(first <= b) for b in budgets]
            ax.step(budgets, ys, where="post", color=s["color"], linestyle=s["linestyle"], linewidth=1.3)
            ax.plot(budgets, ys, linestyle="none", marker=s["marker"], color=s["color"], markersize=5)
        _budget_axis(ax, budgets)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("budget (evaluations)")
        ax.set_ylabel("fraction of (problem, seed, target) reached")
        ax.set_title(titles[col].format(", ".join(map(str, levels))))
    _layout(fig, style, legend_ncol, "Data profiles: share of runs reaching each target by a budget")
    return _save(fig, outdir, "data_profiles", formats)


def accuracy_vs_cost(trade: pd.DataFrame, style, outdir, formats):
    if trade.empty:
        return []
    legend_ncol = min(len(style), 4)
    fig = _figure(7.5, 5.0 + _legend_height(style, legend_ncol))
    ax = fig.subplots()
    for est, part in trade.groupby("estimator", sort=True):
        s = style[est]
        part = part.sort_values("budget")
        ax.plot(part["total_s_median"], part["wtau_median"], color=s["color"], marker=s["marker"],
                linestyle=s["linestyle"], linewidth=1, markersize=6, alpha=0.9)
    front = trade[trade["on_front"]].sort_values("total_s_median")
    ax.step(front["total_s_median"], front["wtau_median"], where="post", color="black",
            linewidth=1.2, linestyle=":", zorder=0)
    ax.scatter(front["total_s_median"], front["wtau_median"], s=150, facecolors="none",
               edgecolors="black", linewidths=1.2, zorder=3)
    for _, row in front.iterrows():
        ax.annotate(f"{row['estimator']} @{row['budget']}", (row["total_s_median"], row["wtau_median"]),
                    xytext=(6, -10), textcoords="offset points", fontsize=7)
    ax.set_xscale("log")
    _plain_log_labels(ax.xaxis)
    ax.set_xlabel("median seconds per cell (log scale)")
    ax.set_ylabel("median over problems of median weighted tau")
    ax.set_title("Accuracy against cost; circled: the Pareto front (points joined by budget)")
    _layout(fig, style, legend_ncol)
    return _save(fig, outdir, "accuracy_vs_cost", formats)


def runtime_vs_budget(df, style, outdir, formats):
    ok = df[df["status"] == "ok"]
    if ok.empty:
        return []
    q = _tables._quartiles(ok, ["estimator_label", "budget"], ["analysis_seconds", "cell_seconds"]).reset_index()
    budgets = sorted(df["budget"].unique())
    legend_ncol = min(len(style), 6)
    fig = _figure(11, 4.2 + _legend_height(style, legend_ncol))
    axes = fig.subplots(1, 2, sharex=True)
    ests = list(style)
    for ax, col, title in ((axes[0], "analysis_seconds", "analysis seconds"),
                           (axes[1], "cell_seconds", "total seconds of a cell")):
        for i, est in enumerate(ests):
            e = q[q["estimator_label"] == est].dropna(subset=[f"{col}_median"])
            if e.empty:
                continue
            s = style[est]
            ax.errorbar(_dodge(e["budget"], i, len(ests)), e[f"{col}_median"],
                        yerr=[e[f"{col}_median"] - e[f"{col}_q25"], e[f"{col}_q75"] - e[f"{col}_median"]],
                        color=s["color"], marker=s["marker"], linestyle=s["linestyle"], markersize=5,
                        linewidth=1.1, elinewidth=0.8)
        ax.set_yscale("log")
        _plain_log_labels(ax.yaxis)
        _budget_axis(ax, budgets)
        ax.set_xlabel("budget (evaluations)")
        ax.set_ylabel(f"{title} (log scale)")
        ax.set_title(f"{title}: median and IQR over problems and seeds")
    _layout(fig, style, legend_ncol)
    return _save(fig, outdir, "runtime_vs_budget", formats)


def heatmaps(df, outdir, formats):
    """One problem x estimator heat map of median wtau per budget."""
    ok = df[df["status"] == "ok"]
    problems, ests = _tables._order(df)
    out = []
    for budget in sorted(df["budget"].unique()):
        at = ok[ok["budget"] == budget]
        mat = at.groupby(["problem_label", "estimator_label"])["weighted_tau"].median().unstack()
        mat = mat.reindex(index=[p for p in problems if p in mat.index], columns=ests)
        mat = mat.dropna(how="all").dropna(axis=1, how="all")
        if mat.empty:
            continue
        fig = _figure(3.0 + 0.55 * mat.shape[1], 2.8 + 0.32 * mat.shape[0])
        ax = fig.subplots()
        sns.heatmap(mat, ax=ax, vmin=0, vmax=1, cmap="viridis", annot=True, fmt=".2f",
                    annot_kws={"fontsize": 6.5}, linewidths=0.4, linecolor="white",
                    cbar_kws={"label": "median wtau (< 0 as 0)", "shrink": 0.8})
        ax.set_facecolor("0.85")
        ax.set_xlabel("estimator (grey: not run, failed or no score)")
        ax.set_ylabel("problem")
        ax.set_title(f"Median target-matched weighted tau at budget {budget}")
        ax.tick_params(axis="x", labelrotation=60)
        ax.tick_params(axis="y", labelrotation=0)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
        _layout(fig)
        out += _save(fig, outdir, f"heatmap_budget{budget}", formats, quantize=False)
    return out


def cd_diagrams(results, style, outdir, formats):
    """Critical-difference diagram per budget of the all-problems ranking."""
    import scikit_posthocs as sp

    out = []
    for r in results:
        if r.scope not in ("all problems", _tables.VS_ST) or r.posthoc is None:
            continue
        vs_st = r.scope == _tables.VS_ST
        n = len(r.mean_rank)
        fig = _figure(9, 1.5 + 0.28 * n)
        ax = fig.subplots()
        sig = r.posthoc.copy()
        sp.critical_difference_diagram(r.mean_rank, sig, ax=ax,
                                       color_palette={e: style[e]["color"] for e in r.mean_rank.index},
                                       label_props={"fontsize": 8},
                                       label_fmt_left="{label} ({rank:.2f})",
                                       label_fmt_right="({rank:.2f}) {label}")
        for text in ax.texts:  # light palette colours are unreadable as text; lines keep them
            text.set_color("0.1")
        ax.set_title(f"Mean rank at budget {r.budget} over {r.values.shape[0]} problems"
                     f"{', importance ranked against ST' if vs_st else ''} (Friedman p = "
                     f"{_tables._p(r.pvalue)})\nbars join estimators not significantly different "
                     "(pairwise Wilcoxon, Holm, 5%)", fontsize=9, pad=28)
        _layout(fig)
        out += _save(fig, outdir, f"critical_difference{'_vs_st' if vs_st else ''}_budget{r.budget}", formats)
    return out


def all_figures(df, trade, results, outdir, formats) -> dict[str, list[str]]:
    """Draw every figure into ``outdir``; figure name -> files written."""
    style = styles(df["estimator_label"].unique())
    with sns.axes_style("whitegrid"), sns.plotting_context("paper", rc=_THEME):
        return {
            "accuracy_vs_budget": accuracy_vs_budget(df, style, outdir, formats),
            "data_profiles": data_profiles(df, style, outdir, formats),
            "accuracy_vs_cost": accuracy_vs_cost(trade, style, outdir, formats),
            "runtime_vs_budget": runtime_vs_budget(df, style, outdir, formats),
            "heatmaps": heatmaps(df, outdir, formats),
            "critical_difference": cd_diagrams(results, style, outdir, formats),
        }
