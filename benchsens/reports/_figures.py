"""The report's figures (seaborn on matplotlib's Agg canvas, no pyplot state), each saved in
every requested format. One colour and marker per estimator across all figures
(:func:`styles`); oracle estimators are drawn dashed and labelled ``[oracle]``."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullLocator

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


def _save(fig, outdir, name, formats, dpi=90) -> list[str]:
    files = []
    for fmt in formats:
        path = outdir / f"{name}.{fmt}"
        meta = {"CreationDate": None} if fmt == "pdf" else {"Software": None} if fmt == "png" else None
        fig.savefig(path, dpi=dpi, metadata=meta, bbox_inches="tight")
        files.append(path.name)
    return files


def _legend(fig, style, ncol, y=0.0):
    handles = [Line2D([], [], color=s["color"], marker=s["marker"], linestyle=s["linestyle"],
                      markersize=6, label=est) for est, s in style.items()]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, y), ncol=ncol,
               frameon=False, title="estimator")


def _budget_axis(ax, budgets):
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(budgets))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([str(b) for b in budgets])


def _dodge(budgets, i, n):
    """Budgets shifted slightly per estimator on the log axis so error bars do not overlap."""
    return np.asarray(budgets, float) * 2 ** (0.25 * (i - (n - 1) / 2) / max(n - 1, 1))


def accuracy_vs_budget(df, style, outdir, formats):
    ok = df[df["status"] == "ok"]
    q = _tables._quartiles(ok, ["problem_label", "estimator_label", "budget"], ["weighted_tau"]).reset_index()
    q = q[q["weighted_tau_n"] > 0]
    problems = sorted(q["problem_label"].unique())
    if not problems:
        return []
    budgets = sorted(df["budget"].unique())
    ncol = min(4, len(problems))
    nrow = math.ceil(len(problems) / ncol)
    fig = _figure(3.3 * ncol, 2.5 * nrow + 0.4)
    axes = fig.subplots(nrow, ncol, squeeze=False, sharex=True)
    ests = list(style)
    for ax, problem in zip(axes.flat, problems):
        part = q[q["problem_label"] == problem]
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
    for ax in axes.flat:
        if ax.get_visible():
            ax.set_xlabel("budget (evaluations)")
            ax.tick_params(labelbottom=True)
    fig.suptitle("Accuracy against budget: median and interquartile range over seeds "
                 "(dotted: tau = 0.9)", y=1.0)
    fig.tight_layout()
    _legend(fig, style, ncol=min(len(style), 6), y=0.0)
    return _save(fig, outdir, "accuracy_vs_budget", formats, dpi=70 if nrow > 4 else 90)


def data_profiles(df, style, outdir, formats):
    panels = []
    for col, (how, levels) in _tables.PROFILE_TARGETS.items():
        hits = _tables.first_hits(df, col, how, levels)
        if not hits.empty:
            panels.append((col, how, levels, hits))
    if not panels:
        return []
    budgets = sorted(df["budget"].unique())
    fig = _figure(5.2 * len(panels), 4.0)
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
    fig.suptitle("Data profiles: share of runs reaching each target by a budget", y=1.0)
    fig.tight_layout()
    _legend(fig, style, ncol=min(len(style), 5), y=0.0)
    return _save(fig, outdir, "data_profiles", formats)


def accuracy_vs_cost(trade: pd.DataFrame, style, outdir, formats):
    if trade.empty:
        return []
    fig = _figure(7.5, 5.0)
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
    ax.set_xlabel("median seconds per cell (log scale)")
    ax.set_ylabel("median over problems of median weighted tau")
    ax.set_title("Accuracy against cost; circled: the Pareto front (points joined by budget)")
    fig.tight_layout()
    _legend(fig, style, ncol=min(len(style), 4), y=0.0)
    return _save(fig, outdir, "accuracy_vs_cost", formats)


def runtime_vs_budget(df, style, outdir, formats):
    ok = df[df["status"] == "ok"]
    if ok.empty:
        return []
    q = _tables._quartiles(ok, ["estimator_label", "budget"], ["analysis_seconds", "cell_seconds"]).reset_index()
    budgets = sorted(df["budget"].unique())
    fig = _figure(11, 4.2)
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
        _budget_axis(ax, budgets)
        ax.set_xlabel("budget (evaluations)")
        ax.set_ylabel(f"{title} (log scale)")
        ax.set_title(f"{title}: median and IQR over problems and seeds")
    fig.tight_layout()
    _legend(fig, style, ncol=min(len(style), 6), y=0.0)
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
        fig = _figure(2.5 + 0.55 * mat.shape[1], 2.2 + 0.32 * mat.shape[0])
        ax = fig.subplots()
        sns.heatmap(mat, ax=ax, vmin=0, vmax=1, cmap="viridis", annot=True, fmt=".2f",
                    annot_kws={"fontsize": 6.5}, linewidths=0.4, linecolor="white",
                    cbar_kws={"label": "median weighted tau (< 0 coloured as 0)", "shrink": 0.8})
        ax.set_facecolor("0.85")
        ax.set_xlabel("estimator (grey: not run, failed or no score)")
        ax.set_ylabel("problem")
        ax.set_title(f"Median target-matched weighted tau at budget {budget}")
        ax.tick_params(axis="x", labelrotation=60)
        ax.tick_params(axis="y", labelrotation=0)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
        fig.tight_layout()
        out += _save(fig, outdir, f"heatmap_budget{budget}", formats)
    return out


def cd_diagrams(results, style, outdir, formats):
    """Critical-difference diagram per budget of the all-problems ranking."""
    import scikit_posthocs as sp

    out = []
    for r in results:
        if r.scope != "all problems" or r.posthoc is None:
            continue
        n = len(r.mean_rank)
        fig = _figure(9, 1.2 + 0.28 * n)
        ax = fig.subplots()
        sig = r.posthoc.copy()
        sp.critical_difference_diagram(r.mean_rank, sig, ax=ax,
                                       color_palette={e: style[e]["color"] for e in r.mean_rank.index},
                                       label_props={"fontsize": 8})
        ax.set_title(f"Mean rank at budget {r.budget} over {r.values.shape[0]} problems "
                     f"(Friedman p = {_tables._p(r.pvalue)}); bars join estimators not "
                     "significantly different (Wilcoxon, Holm, 5%)", fontsize=9, pad=28)
        fig.tight_layout()
        out += _save(fig, outdir, f"critical_difference_budget{r.budget}", formats)
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
