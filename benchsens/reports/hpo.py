"""The ``hpo-v1`` report: importance from the data a tuner leaves behind.

Built from the store alone (SQLite or its CSV/Parquet export):

* **Accuracy per notion vs trials.** Each estimator is scored against the truth of the
  notion it declares (``weighted_tau``/``spearman``, :data:`benchsens.scoring.RANKED_AGAINST`):
  global (``first``/``total``/``dependence``: Sobol' indices of the loss), ``local``
  (top-gamma region), ``marginal`` (gain of tuning one parameter alone from the default),
  ``ablation`` (gain on the greedy default-to-best path). Mean over problems and seeds per
  estimator, regime and number of trials.
* **Staged-tuning regret** (:mod:`benchsens.staged`): tuning only an estimate's top-k
  parameters with 20 random-search trials (exact expectation), the rest at the default;
  regret = share of the default's gap to the grid minimum left. Against the true top-k of
  the estimator's own notion (the gap is the cost of its errors) and against tuning every
  parameter (k = d). Real grids only (an exact finite grid is needed).
* **Which estimator to trust after 100 TPE trials**: computed from the numbers above.

Usage: ``python -m benchsens.reports.hpo STORE --out reports/hpo-v1``; ``benchsens report``
adds this section (``hpo.md``) to the general report of a store holding ``hpo-v1`` cells.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["build_hpo", "accuracy", "staged_cells", "staged_summary", "trust", "NOTIONS"]

#: Declared target -> the notion its accuracy is reported under.
NOTIONS = {"first": "global", "total": "global", "dependence": "global", "derivative": "global",
           "local": "local", "marginal": "marginal", "ablation": "ablation"}
NOTION_ORDER = ("global", "local", "marginal", "ablation")
#: The question of the last section: after this many trials of this optimiser.
TRUST_REGIME, TRUST_BUDGET = "trace:tpe", 100
SUITE = "hpo-v1"


def _cells(store) -> pd.DataFrame:
    """Finished given-data cells of the hpo-v1 sweep (all given-data cells when the store
    does not record that sweep, e.g. an export or a trial slice)."""
    from ._data import load_cells

    df, _ = load_cells(store)
    if "sweep" in df and (df["sweep"] == SUITE).any():
        df = df[df["sweep"] == SUITE]
    df = df[(df["status"] == "ok") & (df["regime"] != "design")].copy()
    if df.empty:
        raise ValueError(f"{store}: no finished given-data (random/trace) cell to report")
    for col in ("regret_auc", "regret_auc_true", "regret_all"):
        df[col] = pd.to_numeric(df[col], errors="coerce") if col in df else np.nan
    df["notion"] = df["target"].map(NOTIONS).fillna(df["target"])
    return df


def accuracy(df: pd.DataFrame) -> pd.DataFrame:
    """Mean target-matched ``weighted_tau`` and ``spearman`` per notion, estimator, regime
    and budget, with the number of cells (NaN scores, e.g. no truth of the notion, dropped)."""
    g = df.dropna(subset=["weighted_tau"]).groupby(["notion", "estimator", "regime", "budget"])
    out = g.agg(cells=("weighted_tau", "size"), weighted_tau=("weighted_tau", "mean"),
                spearman=("spearman", "mean")).reset_index()
    out["notion"] = pd.Categorical(out["notion"], [n for n in NOTION_ORDER if n in set(out["notion"])]
                                   + sorted(set(out["notion"]) - set(NOTION_ORDER)))
    return out.sort_values(["notion", "estimator", "regime", "budget"]).reset_index(drop=True)


def staged_cells(df: pd.DataFrame) -> pd.DataFrame:
    """One row per cell with a staged score: ids, ``d`` and the per-k regret lists of the
    estimate (``est``) and of its notion's true top-k (``true``)."""
    rows = []
    for _, c in df.dropna(subset=["regret_auc"]).iterrows():
        staged = json.loads(c["estimate"])["staged"] if isinstance(c["estimate"], str) else None
        if not staged:
            continue
        est, true = staged["regret_at_k"]["random"], staged["regret_at_k_true"]["random"]
        rows.append({"problem": c["problem"], "estimator": c["estimator"], "notion": c["notion"],
                     "regime": c["regime"], "budget": int(c["budget"]), "seed": int(c["seed"]),
                     "d": len(est), "trials": int(staged["trials"]),
                     "est": np.asarray(est, float), "true": np.asarray(true, float),
                     "regret_auc": c["regret_auc"], "regret_auc_true": c["regret_auc_true"],
                     "regret_all": c["regret_all"]})
    return pd.DataFrame(rows)


def staged_summary(s: pd.DataFrame) -> pd.DataFrame:
    """Per estimator (one regime and budget): mean regret AUC of its top-k and of the true
    top-k of its notion, the mean paired gap with its standard error, the share of cells
    where the estimate does no worse than the truth, regret at k = 1 and with every
    parameter tuned."""
    s = s.assign(gap=s["regret_auc"] - s["regret_auc_true"], k1=[e[0] for e in s["est"]],
                 k1_true=[t[0] for t in s["true"]])
    g = s.groupby(["estimator", "notion"])
    out = g.agg(cells=("gap", "size"), regret_auc=("regret_auc", "mean"),
                regret_auc_true=("regret_auc_true", "mean"), gap=("gap", "mean"),
                gap_se=("gap", lambda x: x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1 else np.nan),
                no_worse=("gap", lambda x: float(np.mean(x <= 1e-12))),
                regret_k1=("k1", "mean"), regret_k1_true=("k1_true", "mean"),
                regret_all=("regret_all", "mean")).reset_index()
    return out.sort_values("regret_auc").reset_index(drop=True)


def _curves(s: pd.DataFrame) -> pd.DataFrame:
    """Mean regret at each k (over cells with d >= k) per estimator, its true top-k, the gap."""
    rows = []
    for (est, notion), g in s.groupby(["estimator", "notion"]):
        for k in range(1, int(g["d"].max()) + 1):
            have = g[g["d"] >= k]
            e = np.array([v[k - 1] for v in have["est"]])
            t = np.array([v[k - 1] for v in have["true"]])
            rows.append({"estimator": est, "notion": notion, "k": k, "cells": len(have),
                         "regret": e.mean(), "regret_true": t.mean(), "gap": (e - t).mean()})
    return pd.DataFrame(rows)


def _trials(s: pd.DataFrame) -> str:
    """The trials per staged tuning run of these cells (e.g. "20")."""
    return "/".join(str(t) for t in sorted(set(s["trials"])))


def trust(acc: pd.DataFrame, summ: pd.DataFrame, s: pd.DataFrame) -> str:
    """The paragraph answering "which estimator to trust after 100 TPE trials", from the
    staged regret (a utility every notion shares) and the accuracy per notion."""
    if summ.empty:
        return (f"No staged-tuning score at {TRUST_BUDGET} trials of {TRUST_REGIME}: the store holds "
                "no such cell on an exact finite grid.")
    best, parts = summ.iloc[0], []
    parts.append(
        f"After {TRUST_BUDGET} trials of TPE on the real grids, the lowest staged-tuning regret comes "
        f"from **{best['estimator']}** ({best['notion']} notion): tuning its top-k with {_trials(s)} random-search "
        f"trials per k leaves on average {best['regret_auc']:.3f} of the default's gap to the optimum "
        f"(mean over k and {int(best['cells'])} cells), against {best['regret_auc_true']:.3f} for the true "
        f"top-k of its notion: a gap of {best['gap']:+.3f} (standard error {best['gap_se']:.3f}); it does no "
        f"worse than the true ranking in {100 * best['no_worse']:.0f}% of cells. Tuning the top-1 alone "
        f"leaves {best['regret_k1']:.3f} (true top-1: {best['regret_k1_true']:.3f}); tuning every parameter "
        f"with the same {_trials(s)} trials leaves {best['regret_all']:.3f}.")
    if len(summ) > 1:
        second = summ.iloc[1]
        pair = s[s["estimator"].isin([best["estimator"], second["estimator"]])]
        wide = pair.pivot_table(index=["problem", "seed"], columns="estimator", values="regret_auc")
        wide = wide.dropna()
        diff = (wide[best["estimator"]] - wide[second["estimator"]]).to_numpy()
        if diff.size and np.any(diff != 0):
            p = stats.wilcoxon(diff).pvalue
            verdict = "a difference the paired cells support" if p < 0.05 else "not distinguishable on these cells"
            parts.append(f"The runner-up is {second['estimator']} ({second['regret_auc']:.3f}); paired over "
                         f"{diff.size} (problem, seed) cells the Wilcoxon signed-rank p = {p:.2g}: {verdict}.")
    truths = summ.groupby("notion")["regret_auc_true"].mean().sort_values()
    parts.append("Tuning the true top-k of each notion leaves: " + "; ".join(
        f"{n} {v:.3f}" for n, v in truths.items()) + f", so the {truths.index[0]} notion is the most "
        "useful ranking to know for staged tuning on these grids.")
    a = acc[(acc["regime"] == TRUST_REGIME) & (acc["budget"] == TRUST_BUDGET)]
    lines = []
    for notion, g in a.groupby("notion", observed=True):
        top = g.sort_values("weighted_tau", ascending=False).iloc[0]
        lines.append(f"{notion}: {top['estimator']} (weighted tau {top['weighted_tau']:.2f})")
    if lines:
        parts.append("Most accurate against its own notion at the same point (mean weighted tau): "
                     + "; ".join(lines) + ".")
    return " ".join(parts)


def _markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    def cell(v):
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:.{digits}g}"
        return str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


def _colours(names):
    import matplotlib

    cmap = matplotlib.colormaps["tab20"]
    return {n: cmap(i % 20) for i, n in enumerate(sorted(names))}


def _figures(acc: pd.DataFrame, curves: pd.DataFrame, out: Path, colours, trials: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    notions = [n for n in NOTION_ORDER if n in set(acc["notion"])]
    regimes = sorted(set(acc["regime"]))
    styles = dict(zip(regimes, ("-", "--", ":", "-.")))
    cols = min(2, max(1, len(notions)))
    rows = -(-max(1, len(notions)) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), sharey=True, squeeze=False)
    budgets = sorted(int(b) for b in set(acc["budget"]))
    for ax, notion in zip(axes.ravel(), notions):
        labelled = set()
        for (est, regime), g in acc[acc["notion"] == notion].groupby(["estimator", "regime"]):
            ax.plot(g["budget"], g["weighted_tau"], styles[regime], marker="o", ms=3, color=colours[est],
                    label=None if est in labelled else est)
            labelled.add(est)
        ax.set_xscale("log")
        ax.set_xticks(budgets, [str(b) for b in budgets], minor=False)
        ax.set_xticks([], minor=True)
        ax.set_title(f"{notion} notion", fontsize=10)
        ax.set_xlabel("trials (budget)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    for ax in axes.ravel()[len(notions):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("weighted tau vs own notion (mean)")
    fig.suptitle("Accuracy vs number of trials; line style: " + ", ".join(f"{r} '{styles[r]}'" for r in regimes),
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "hpo_accuracy.png", dpi=110)
    plt.close(fig)
    files.append("hpo_accuracy.png")

    if not curves.empty:
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(9.5, 7.5), sharex=True)
        for est, g in curves.groupby("estimator"):
            top.plot(g["k"], g["regret"], "-o", ms=3, color=colours[est], label=est)
            bottom.plot(g["k"], g["gap"], "-o", ms=3, color=colours[est], label=est)
        dashes = dict(zip(NOTION_ORDER, ((4, 2), (1, 1.5), (6, 2, 1, 2), (2, 3))))
        for notion, g in curves.groupby("notion"):
            first = g[g["estimator"] == g["estimator"].iloc[0]]
            top.plot(first["k"], first["regret_true"], color="black", lw=1.3, dashes=dashes.get(notion, (3, 3)),
                     label=f"true top-k, {notion}")
        top.set_ylabel("regret (share of default gap left)")
        top.set_title(f"Staged tuning after {TRUST_BUDGET} {TRUST_REGIME} trials: tune the top-k "
                      f"({trials} random-search trials), rest at default", fontsize=9)
        top.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        bottom.axhline(0, color="black", lw=0.8)
        bottom.set_ylabel("regret minus true top-k's (same notion)")
        bottom.set_xlabel("k (parameters tuned; mean over surfaces with d >= k)")
        for ax in (top, bottom):
            ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(out / "hpo_staged_regret.png", dpi=110)
        plt.close(fig)
        files.append("hpo_staged_regret.png")
    return files


def build_hpo(store, out, page: str = "README.md") -> Path:
    """Write the hpo-v1 section of ``store`` into ``out`` (``page``, ``tables/hpo_*.{md,csv}``,
    ``figures/hpo_*.png``) and return the path of the page."""
    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    df = _cells(store)
    acc = accuracy(df)
    s_all = staged_cells(df)
    at = (s_all[(s_all["regime"] == TRUST_REGIME) & (s_all["budget"] == TRUST_BUDGET)]
          if not s_all.empty else s_all)
    summ = staged_summary(at) if not at.empty else pd.DataFrame()
    curves = _curves(at) if not at.empty else pd.DataFrame()
    by_budget = pd.DataFrame()
    if not s_all.empty:
        by_budget = (s_all.groupby(["estimator", "regime", "budget"])
                     .agg(cells=("regret_auc", "size"), regret_auc=("regret_auc", "mean"),
                          regret_auc_true=("regret_auc_true", "mean")).reset_index())
    tables = {"accuracy": acc, "staged": summ, "staged_by_k": curves, "staged_by_budget": by_budget}
    for name, frame in tables.items():
        frame.to_csv(out / "tables" / f"hpo_{name}.csv", index=False)
        (out / "tables" / f"hpo_{name}.md").write_text(_markdown(frame), encoding="utf-8")
    colours = _colours(set(df["estimator"]))
    figures = _figures(acc, curves, out / "figures", colours, _trials(at) if not at.empty else "")
    a100 = acc[(acc["regime"] == TRUST_REGIME) & (acc["budget"] == TRUST_BUDGET)]
    text = [
        "# Importance from tuning traces (hpo-v1)", "",
        f"{len(df)} finished given-data cells: {df['problem'].nunique()} problems, "
        f"{df['estimator'].nunique()} estimators, regimes {sorted(df['regime'].unique())}, budgets "
        f"{sorted(int(b) for b in df['budget'].unique())}, {df['seed'].nunique()} seeds. Regenerate: "
        "`python -m benchsens.reports.hpo STORE --out reports/hpo-v1`.", "",
        f"## Which estimator to trust after {TRUST_BUDGET} TPE trials", "", trust(acc, summ, at), "",
        "## Staged-tuning regret", "",
        "Regret = share of the default's gap to the grid minimum left after tuning the top-k "
        f"parameters with {_trials(at) if not at.empty else ''} random-search trials (exact expectation), the rest at the default; "
        "`regret_auc` is its mean over k = 1..d, `regret_auc_true` the same for the true top-k of "
        "the estimator's notion, `gap` their paired difference, `no_worse` the share of cells "
        "where the estimate's ranking does as well as the truth's, `regret_all` every parameter "
        f"tuned (k = d). Cells: {TRUST_REGIME} at {TRUST_BUDGET} trials on the real grids.", "",
        _markdown(summ) if not summ.empty else "(no staged score in this store)", "",
        *[f"![{f}](figures/{f})\n" for f in figures if "staged" in f],
        "Per k: `tables/hpo_staged_by_k.md`; per regime and budget: `tables/hpo_staged_by_budget.md`.", "",
        "## Accuracy per notion vs number of trials", "",
        "Target-matched weighted tau (top ranks weigh most) against the truth of each estimator's "
        "declared notion; global = Sobol' indices of the loss. Mean over problems and seeds.", "",
        *[f"![{f}](figures/{f})\n" for f in figures if "accuracy" in f],
        f"At {TRUST_BUDGET} trials of {TRUST_REGIME}:", "",
        _markdown(a100.drop(columns=["regime", "budget"])) if not a100.empty else "(none)", "",
        "Every regime and budget: `tables/hpo_accuracy.md`.", "",
    ]
    path = out / page
    path.write_text("\n".join(text), encoding="utf-8")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the hpo-v1 report from a store of the hpo-v1 suite.")
    parser.add_argument("store")
    parser.add_argument("--out", default="reports/hpo-v1")
    args = parser.parse_args(argv)
    print(build_hpo(args.store, args.out))


if __name__ == "__main__":
    main()
