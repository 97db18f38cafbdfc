"""The report's tables: computed from the cells table of :mod:`._data` and written as
Markdown, LaTeX (booktabs) and CSV. Numbers are formatted deterministically and no table
holds a time stamp, so two builds from one store give identical files."""
from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pandas as pd
import scikit_posthocs as sp
from scipy import stats

from .. import scoring
from ._data import WORST_TAU

#: Sample-efficiency targets: (label, score column, "ge"/"le", value).
TARGETS = (("wtau>=0.9", "weighted_tau", "ge", 0.9),
           ("MAE ST<=0.05", "mae_total", "le", 0.05),
           ("MAE ST<=0.02", "mae_total", "le", 0.02))
#: Targets of the data profiles: target-matched weighted tau, and MAE of ST.
PROFILE_TARGETS = {"weighted_tau": ("ge", (0.5, 0.7, 0.8, 0.9, 0.95)),
                   "mae_total": ("le", (0.1, 0.05, 0.02, 0.01))}
#: Scores summarised in the accuracy table (Markdown/LaTeX); the CSV has every score.
ACCURACY_SHOWN = (("weighted_tau", "wtau"), ("spearman", "rho"),
                  ("mae_first", "MAE S1"), ("mae_total", "MAE ST"))
MISSING = "-"


@dataclasses.dataclass
class Table:
    """One table: display sections (heading, frame of strings) and the numeric CSV frame."""

    name: str
    caption: str
    sections: list
    csv: pd.DataFrame
    note: str = ""


# -- formatting ------------------------------------------------------------------------------
def _num(x, digits=3) -> str:
    if x is None or not np.isfinite(x):
        return MISSING
    return f"{x + 0.0:.{digits}f}"


def _iqr(med, lo, hi, digits=3) -> str:
    if not np.isfinite(med):
        return MISSING
    return f"{_num(med, digits)} [{_num(lo, digits)}, {_num(hi, digits)}]"


def _p(p) -> str:
    if p is None or not np.isfinite(p):
        return MISSING
    return "<0.001" if p < 0.001 else f"{p:.3f}"


_TEX = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
        "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
        "<": r"\textless{}", ">": r"\textgreater{}"}
#: ``\ensuremath`` rather than ``$...$``: two neighbours would make ``$$`` (display math).
_TEX_WORDS = (("wtau", r"\ensuremath{\tau_w}"), ("rho", r"\ensuremath{\rho}"), ("chi2", r"\ensuremath{\chi^2}"))


def tex_escape(text: str) -> str:
    text = "".join(_TEX.get(c, c) for c in str(text))
    text = text.replace(r"\textgreater{}=", r"\ensuremath{\geq}").replace(r"\textless{}=", r"\ensuremath{\leq}")
    for word, tex in _TEX_WORDS:
        text = re.sub(rf"\b{word}\b", lambda m, t=tex: t, text)
    return text


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def _numeric(frame: pd.DataFrame) -> list[bool]:
    """Per column: right-align (numbers, or number-led cells like '0.91 [0.88, 0.95]')."""
    def num(v):
        v = str(v)
        return v in (MISSING, "") or v[:1].isdigit() or v[:1] in "-<" and v[1:2].isdigit()
    return [bool(frame[c].astype(str).map(num).all()) for c in frame.columns]


def to_markdown(table: Table) -> str:
    out = [f"# {table.caption}", ""]
    if table.note:
        out += [table.note, ""]
    for heading, frame in table.sections:
        if heading:
            out += [f"## {heading}", ""]
        cells = [[str(c).replace("|", r"\|") for c in row] for row in
                 [list(frame.columns)] + frame.astype(str).values.tolist()]
        out.append("| " + " | ".join(cells[0]) + " |")
        out.append("|" + "|".join("---:" if n else ":---" for n in _numeric(frame)) + "|")
        out += ["| " + " | ".join(r) + " |" for r in cells[1:]]
        out.append("")
    return "\n".join(out)


#: Sections longer than this become a ``longtable`` (breaks across pages) instead of a float.
LONG = 40


def to_latex(table: Table) -> str:
    out = [f"% {table.caption}. Needs \\usepackage{{booktabs}} (and longtable for long ones).", ""]
    for heading, frame in table.sections:
        label = f"tab:{table.name}" + (f"-{slug(heading)}" if heading else "")
        caption = table.caption + (f": {heading}" if heading else "")
        align = "".join("r" if n else "l" for n in _numeric(frame))
        head = " & ".join(tex_escape(c) for c in frame.columns) + r" \\"
        rows = [" & ".join("--" if c == MISSING else tex_escape(c) for c in row) + r" \\"
                for row in frame.astype(str).values.tolist()]
        if len(frame) > LONG:
            out += [rf"\begin{{longtable}}{{{align}}}",
                    rf"\caption{{{tex_escape(caption)}}}\label{{{label}}} \\",
                    r"\toprule", head, r"\midrule", r"\endfirsthead",
                    r"\toprule", head, r"\midrule", r"\endhead",
                    r"\bottomrule", r"\endfoot", *rows, r"\end{longtable}", ""]
        else:
            out += [r"\begin{table}[htbp]", r"\centering", r"\small",
                    rf"\caption{{{tex_escape(caption)}}}", rf"\label{{{label}}}",
                    rf"\begin{{tabular}}{{{align}}}", r"\toprule", head, r"\midrule", *rows,
                    r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(out)


def to_csv(table: Table) -> str:
    return table.csv.to_csv(index=False, float_format="%.10g", lineterminator="\n")


# -- helpers ---------------------------------------------------------------------------------
def _targets(df: pd.DataFrame) -> pd.Series:
    """Per estimator label: declared target and the truth it is ranked against."""
    ranked = getattr(scoring, "RANKED_AGAINST", {})
    first = df.drop_duplicates("estimator_label").set_index("estimator_label")["target"]
    return first.map(lambda t: f"{t} (vs {ranked[t]})" if t in ranked else t)


def _quartiles(frame: pd.DataFrame, keys: list, cols) -> pd.DataFrame:
    """Median, q25, q75 and count of finite values of ``cols`` per group of ``keys``."""
    g = frame.groupby(keys, sort=True)[list(cols)]
    parts = {"median": g.median(), "q25": g.quantile(0.25), "q75": g.quantile(0.75), "n": g.count()}
    out = pd.concat(parts, axis=1)
    out.columns = [f"{c}_{s}" for s, c in out.columns]
    return out


def _status_counts(df: pd.DataFrame, keys: list) -> pd.DataFrame:
    from ..store import STATUSES

    counts = df.groupby(keys + ["status"], sort=True).size().unstack("status", fill_value=0)
    for s in STATUSES:
        if s not in counts:
            counts[s] = 0
    counts = counts[list(STATUSES)]
    counts.insert(0, "cells", counts.sum(axis=1))
    return counts


def _order(df):
    return sorted(df["problem_label"].unique()), sorted(df["estimator_label"].unique())


# -- accuracy --------------------------------------------------------------------------------
def accuracy(df: pd.DataFrame, scores) -> Table:
    keys = ["problem_label", "estimator_label", "budget"]
    counts = _status_counts(df, keys)
    q = _quartiles(df[df["status"] == "ok"], keys, scores)
    raw = counts.join(q, how="left").reset_index()
    raw.insert(2, "target", raw["estimator_label"].map(_targets(df)))
    raw.insert(3, "oracle", raw["estimator_label"].str.endswith("[oracle]"))
    raw = raw.rename(columns={"problem_label": "problem", "estimator_label": "estimator"})
    sections = []
    for problem, part in raw.groupby("problem", sort=True):
        show = pd.DataFrame({"estimator": part["estimator"], "target": part["target"],
                             "budget": part["budget"].astype(str),
                             "ok/cells": part["ok"].astype(str) + "/" + part["cells"].astype(str)})
        for col, head in ACCURACY_SHOWN:
            show[head] = [_iqr(*v) for v in part[[f"{col}_median", f"{col}_q25", f"{col}_q75"]].to_numpy()]
        sections.append((problem, show.reset_index(drop=True)))
    note = ("Median [interquartile range] over seeds of the ok cells. wtau and rho rank the "
            "estimator's importance against the truth of its declared target (named in the "
            "target column); MAE S1/ST are mean absolute errors of first/total-order estimates, "
            f"shown only where the estimator gives Sobol' estimates ({MISSING} otherwise). "
            "[oracle] marks estimators that receive information for free.")
    return Table("accuracy", "Accuracy per problem, estimator and budget", sections, raw, note)


def winners(df: pd.DataFrame) -> Table:
    """Per problem and budget, the estimator(s) with the highest median target-matched wtau
    over seeds (failed, timed-out cells as -1; oracles left out, they are not comparable)."""
    pairs = scored_pairs(df, "weighted_tau")
    keep = [(p, e) in pairs and not e.endswith("[oracle]") and s != "skipped"
            for p, e, s in zip(df["problem_label"], df["estimator_label"], df["status"])]
    part = df[keep]
    value = part["weighted_tau"].where(part["status"] == "ok", WORST_TAU)
    med = value.groupby([part["problem_label"], part["budget"], part["estimator_label"]]).median()
    rows = []
    for (problem, budget), m in med.groupby(level=[0, 1], sort=True):
        m = m.droplevel([0, 1])
        best = m.max()
        top = sorted(m.index[np.isclose(m, best, rtol=0, atol=1e-9)])
        rows.append({"problem": problem, "budget": int(budget), "best": ", ".join(top),
                     "median_wtau": float(best), "estimators": int(m.size)})
    raw = pd.DataFrame(rows, columns=["problem", "budget", "best", "median_wtau", "estimators"])
    show = pd.DataFrame({"problem": raw["problem"], "budget": raw["budget"].astype(str),
                         "best (highest median wtau)": raw["best"],
                         "median wtau": [_num(v) for v in raw["median_wtau"]],
                         "of": raw["estimators"].astype(str)})
    return Table("winners", "Best estimator per problem and budget", [(None, show)], raw,
                 "The estimator(s) with the highest median target-matched wtau over seeds "
                 "(ties listed together; failed or timed-out cells count as -1; oracle "
                 "estimators left out), among the number of estimators in 'of'.")


# -- sample efficiency -----------------------------------------------------------------------
def scored_pairs(df: pd.DataFrame, col: str) -> set:
    """(problem, estimator) pairs on which score ``col`` counts, failed cells as misses: the
    problem has a truth (some cell has the score or the ST-ranked one), the estimator gives
    that score at all (every estimator has a rank score; value errors need estimates), and
    its ok cells on the problem are not all without it (no truth for its target there)."""
    ok = df["status"] == "ok"
    truth = df.groupby("problem_label")[col].count() + df.groupby("problem_label")["weighted_tau_total"].count()
    gives = df.groupby("estimator_label")[col].count()
    eligible = set(gives.index) if col.startswith(("weighted_tau", "spearman")) else set(gives[gives > 0].index)
    defined = df[ok].groupby(["problem_label", "estimator_label"])[col].count()
    undefined = set(defined[defined == 0].index)
    pairs = df[["problem_label", "estimator_label"]].drop_duplicates().itertuples(index=False, name=None)
    return {(p, e) for p, e in pairs
            if truth.get(p, 0) > 0 and e in eligible and (p, e) not in undefined}


def _hits(values: pd.Series, how: str, level: float) -> pd.Series:
    return values >= level if how == "ge" else values <= level


def efficiency(df: pd.DataFrame) -> Table:
    """Smallest budget at which at least half of the seeds reach each target."""
    keys = ["problem_label", "estimator_label", "budget"]
    rows = []
    cells = df.groupby(keys, sort=True).size()
    for label, col, how, level in TARGETS:
        defined = scored_pairs(df, col)
        hit = (df["status"] == "ok") & _hits(df[col], how, level)
        hits = hit.groupby([df[k] for k in keys], sort=True).sum()
        frame = pd.DataFrame({"cells": cells, "hits": hits}).reset_index()
        for (problem, est), part in frame.groupby(["problem_label", "estimator_label"], sort=True):
            row = {"problem": problem, "estimator": est, "target": label}
            if (problem, est) not in defined:
                row.update(budget=np.nan, seeds_hit=np.nan, seeds=np.nan, defined=False)
            else:
                reached = part[2 * part["hits"] >= part["cells"]]
                at = reached.iloc[0] if len(reached) else part.loc[part["hits"].idxmax()]
                row.update(budget=float(at["budget"]) if len(reached) else np.nan,
                           seeds_hit=int(at["hits"]), seeds=int(at["cells"]), defined=True,
                           best_budget=int(at["budget"]))
            rows.append(row)
    raw = pd.DataFrame(rows)

    def show(r):
        if not r["defined"]:
            return "n/a"
        share = f"{int(r['seeds_hit'])}/{int(r['seeds'])}"
        if np.isfinite(r["budget"]):
            return f"{int(r['budget'])} ({share})"
        return f"not reached ({share} at {int(r['best_budget'])})"

    raw["shown"] = raw.apply(show, axis=1)
    wide = raw.pivot(index=["problem", "estimator"], columns="target", values="shown")
    wide = wide[[t[0] for t in TARGETS]].reset_index()
    sections = [(p, part.drop(columns="problem").reset_index(drop=True))
                for p, part in wide.groupby("problem", sort=True)
                if not (part.drop(columns=["problem", "estimator"]) == "n/a").all(axis=None)]
    raw = raw.drop(columns="shown")
    note = ("Smallest budget at which at least half of the seeds reach the target, with "
            "(seeds reaching it / seeds run) at that budget; failed, timed-out and skipped cells "
            "count as not reaching it. 'not reached' gives the best budget's share instead. "
            "n/a: the target does not apply (no ST estimate, or no truth for the estimator's "
            "target on this problem).")
    return Table("efficiency", "Sample efficiency: smallest budget reaching each target",
                 sections, raw, note)


def first_hits(df: pd.DataFrame, col: str, how: str, levels) -> pd.DataFrame:
    """Runs (problem, seed) x targets of each estimator with the first budget at which the
    target was reached (inf when never): the data of the data profiles. Problems where the
    score does not count for an estimator (see :func:`scored_pairs`) are left out for it."""
    defined = list(scored_pairs(df, col))
    runs = df.set_index(["problem_label", "estimator_label"])
    runs = runs[runs.index.isin(defined)].reset_index()
    out = []
    for level in levels:
        hit = (runs["status"] == "ok") & _hits(runs[col], how, level)
        budget = runs["budget"].where(hit, np.inf)
        first = budget.groupby([runs["estimator_label"], runs["problem_label"], runs["seed"]]).min()
        out.append(first.rename("first").reset_index().assign(level=level))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


# -- cost ------------------------------------------------------------------------------------
def cost(df: pd.DataFrame) -> Table:
    keys = ["estimator_label", "budget"]
    counts = _status_counts(df, keys)
    ok = df[df["status"] == "ok"]
    g = ok.groupby(keys, sort=True)
    med = pd.DataFrame({"evals_median": g["n_evals"].median(),
                        "analysis_s_median": g["analysis_seconds"].median(),
                        "total_s_median": g["cell_seconds"].median(),
                        "total_s_max": g["cell_seconds"].max()})
    raw = counts.join(med, how="left").reset_index().rename(columns={"estimator_label": "estimator"})
    show = pd.DataFrame({
        "estimator": raw["estimator"], "budget": raw["budget"].astype(str),
        "evaluations": [_num(v, 0) for v in raw["evals_median"]],
        "analysis s": [_num(v, 3) for v in raw["analysis_s_median"]],
        "total s": [_num(v, 3) for v in raw["total_s_median"]],
        "max total s": [_num(v, 2) for v in raw["total_s_max"]],
        **{s: raw[s].astype(str) for s in ("cells", "ok", "error", "timeout", "skipped")}})
    note = ("Medians over the ok cells of all problems: evaluations charged (n_evals), the "
            "estimator's analysis seconds, and total seconds of the cell (plan, evaluation, "
            "analysis, scoring). Every cell is counted by status; none is dropped.")
    return Table("cost", "Cost by estimator and budget, with cells by status", [(None, show)], raw, note)


def failures(df: pd.DataFrame) -> Table:
    bad = df[df["status"] != "ok"]
    keys = ["status", "estimator_label", "problem_label", "budget"]
    if bad.empty:
        raw = pd.DataFrame(columns=["status", "estimator", "problem", "budget", "cells", "message"])
    else:
        g = bad.groupby(keys, sort=True)
        raw = pd.DataFrame({"cells": g.size(), "message": g["message"].first()}).reset_index()
        raw = raw.rename(columns={"estimator_label": "estimator", "problem_label": "problem"})
    raw["message"] = raw["message"].fillna("").astype(str).str.split("\n").str[0]
    show = raw.copy()
    show["budget"] = show["budget"].astype(str)
    show["message"] = show["message"].str.slice(0, 120)
    note = "Every cell that did not finish ok, by status, with the first stored message."
    return Table("failures", "Failed, timed-out and skipped cells", [(None, show.astype(str))], raw, note)


# -- ranking ---------------------------------------------------------------------------------
@dataclasses.dataclass
class Ranking:
    """Friedman test and Holm-corrected pairwise Wilcoxon signed-rank tests (over problems)
    of one scope and budget. Pairwise Wilcoxon rather than a mean-rank post-hoc test, whose
    outcome for a pair depends on which other estimators are in the comparison (Benavoli,
    Corani & Mangili, JMLR 2016); zeros split (``zsplit``), so identical estimators get p = 1."""

    scope: str
    budget: int
    values: pd.DataFrame          # problems x estimators, median wtau (failures = WORST_TAU)
    mean_rank: pd.Series
    statistic: float
    pvalue: float
    posthoc: pd.DataFrame | None
    excluded: dict                # estimator or problem -> reason


#: Ranking scope of every estimator against ST (complete even where a target has no truth).
VS_ST = "all problems, ranked against ST"


def _block_matrix(part: pd.DataFrame, budget: int, col: str):
    """Problems x estimators of the median over seeds of score ``col`` at ``budget``
    (failed, timed-out and skipped cells count as the worst score), and what had to be left
    out: problems without a truth, estimators not run on every problem, and estimators whose
    score is undefined on some problem (their target has no truth there)."""
    excluded = {}
    truth = part.groupby("problem_label")["weighted_tau_total"].count() + part.groupby("problem_label")[col].count()
    problems = sorted(truth[truth > 0].index)
    at = part[(part["budget"] == budget) & part["problem_label"].isin(problems)]
    coverage = at.groupby("estimator_label")["problem_label"].nunique()
    for e in sorted(coverage[coverage < len(problems)].index):
        excluded[e] = f"not run on every problem at budget {budget}"
    ok = at["status"] == "ok"
    defined = at[ok].groupby(["estimator_label", "problem_label"])[col].count()
    for (e, p) in defined[defined == 0].index:
        excluded.setdefault(e, f"no {col} on {p} (its target has no truth there)")
    at = at[~at["estimator_label"].isin(excluded)]
    value = at[col].where(at["status"] == "ok", WORST_TAU)
    matrix = value.groupby([at["problem_label"], at["estimator_label"]]).median().unstack()
    return matrix, excluded


def rank_scope(part: pd.DataFrame, scope: str, budget: int, col: str = "weighted_tau") -> Ranking:
    matrix, excluded = _block_matrix(part, budget, col)
    mean_rank = matrix.rank(axis=1, ascending=False).mean() if not matrix.empty else pd.Series(dtype=float)
    stat = p = np.nan
    posthoc = None
    if matrix.shape[0] >= 2 and matrix.shape[1] >= 3:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            stat, p = stats.friedmanchisquare(*matrix.to_numpy().T)
            posthoc = sp.posthoc_wilcoxon(list(matrix.to_numpy().T), zero_method="zsplit",
                                          p_adjust="holm")
        posthoc.index = posthoc.columns = matrix.columns
    return Ranking(scope, budget, matrix, mean_rank, float(stat), float(p), posthoc, excluded)


#: Problem tags that name a kind of response surface: the ranking is split by these.
KIND_TAGS = ("analytic", "family", "engineering", "hp-like", "real")


def rankings(df: pd.DataFrame) -> list[Ranking]:
    """One ranking per scope and budget: all problems (target-matched wtau), each problem
    tag when the store has tags, and all problems ranked against ST (every estimator)."""
    scopes = [("all problems", df, "weighted_tau")]
    if "tags" in df:  # the kinds of problem; finer tags (d=3, community, loss, ...) would
        # give scopes of one or two problems, too few for a Friedman test
        for tag in sorted({t for ts in df["tags"] for t in ts} & set(KIND_TAGS)):
            scopes.append((f"tag {tag}", df[df["tags"].map(lambda ts, t=tag: t in ts)], "weighted_tau"))
    if df["weighted_tau_total"].notna().any():  # stores from before issue 9 lack it
        scopes.append((VS_ST, df, "weighted_tau_total"))
    return [rank_scope(part, scope, int(b), col) for scope, part, col in scopes
            for b in sorted(part["budget"].unique())]


def ranking_tables(results: list[Ranking]) -> tuple[Table, Table, Table]:
    rank_rows, test_rows, pair_rows = [], [], []
    for r in results:
        for est, rank in r.mean_rank.items():
            rank_rows.append({"scope": r.scope, "budget": r.budget, "estimator": est,
                              "mean_rank": rank, "problems": r.values.shape[0],
                              "median_wtau": float(r.values[est].median())})
        test_rows.append({"scope": r.scope, "budget": r.budget, "estimators": r.values.shape[1],
                          "problems": r.values.shape[0], "friedman_chi2": r.statistic,
                          "friedman_p": r.pvalue,
                          "excluded": "; ".join(f"{k}: {v}" for k, v in sorted(r.excluded.items()))})
        if r.posthoc is not None:
            names = list(r.posthoc.columns)
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    pair_rows.append({"scope": r.scope, "budget": r.budget, "estimator_a": a,
                                      "estimator_b": b, "p_holm": float(r.posthoc.loc[a, b])})
    ranks = pd.DataFrame(rank_rows, columns=["scope", "budget", "estimator", "mean_rank", "problems", "median_wtau"])
    tests = pd.DataFrame(test_rows, columns=["scope", "budget", "estimators", "problems",
                                             "friedman_chi2", "friedman_p", "excluded"])
    pairs = pd.DataFrame(pair_rows, columns=["scope", "budget", "estimator_a", "estimator_b", "p_holm"])

    sections = []
    for scope in dict.fromkeys(ranks["scope"]):
        part = ranks[ranks["scope"] == scope]
        wide = part.pivot(index="estimator", columns="budget", values="mean_rank")
        wide = wide.sort_values(list(wide.columns[::-1]), kind="stable", na_position="last")
        show = pd.DataFrame({"estimator": wide.index})
        for b in wide.columns:
            show[f"budget {b}"] = [_num(v, 2) for v in wide[b]]
        t = tests[tests["scope"] == scope].set_index("budget")
        footer = {"estimator": "Friedman p (problems)"}
        for b in wide.columns:
            footer[f"budget {b}"] = f"{_p(t.loc[b, 'friedman_p'])} ({t.loc[b, 'problems']})"
        show = pd.concat([show, pd.DataFrame([footer])], ignore_index=True)
        sections.append((scope, show))
    rank_table = Table("ranking", "Mean rank of the estimators across problems (1 = best)",
                       sections, ranks,
                       "Per problem, estimators are ranked by their median target-matched wtau "
                       "over seeds (1 = best, ties share the average rank); a failed, timed-out "
                       "or skipped cell counts as wtau = -1. An estimator whose target has no "
                       f"truth on some problem of a scope is left out of it (see the Friedman "
                       f"table) and ranked in '{VS_ST}', where every estimator's importance is "
                       "ranked against ST. The last row is the p-value of the Friedman test that "
                       "all estimators rank alike, with the number of problems.")
    test_show = tests.assign(friedman_chi2=[_num(v, 2) for v in tests["friedman_chi2"]],
                             friedman_p=[_p(v) for v in tests["friedman_p"]],
                             excluded=tests["excluded"].replace("", MISSING))
    test_table = Table("friedman", "Friedman tests per scope and budget",
                       [(None, test_show.rename(columns={"friedman_chi2": "chi2", "friedman_p": "p"}).astype(str))],
                       tests, "Friedman chi-square test over problems (blocks); excluded lists "
                       "estimators and problems left out of that test and why.")
    psections = []
    for r in results:
        if r.posthoc is None:
            continue
        order = list(r.mean_rank.sort_values(kind="stable").index)
        mat = r.posthoc.loc[order, order]
        show = pd.DataFrame({"estimator": order})
        for j, b in enumerate(order):
            show[b] = [_p(mat.loc[a, b]) if i > j else "" for i, a in enumerate(order)]
        psections.append((f"{r.scope}, budget {r.budget}", show.iloc[1:, :-1].reset_index(drop=True)))
    post_table = Table("posthoc", "Pairwise post-hoc tests (Wilcoxon signed-rank, Holm-corrected p-values)",
                       psections, pairs,
                       "Holm-corrected p-values of pairwise Wilcoxon signed-rank tests on the "
                       "per-problem median wtau (after the Friedman test), estimators ordered by "
                       "mean rank; p < 0.05 means the two estimators differ beyond chance at the "
                       "5% family-wise level.")
    return rank_table, test_table, post_table


# -- accuracy vs cost ------------------------------------------------------------------------
def tradeoff(df: pd.DataFrame) -> Table:
    """Per estimator and budget: median seconds and median (over problems) of the median
    wtau over seeds, with failures as the worst score; and whether the point is on the
    Pareto front (no other point is both cheaper and more accurate)."""
    truth = df.groupby("problem_label")["weighted_tau"].count()
    part = df[df["problem_label"].isin(truth[truth > 0].index) & (df["status"] != "skipped")]
    ok = part["status"] == "ok"
    value = part["weighted_tau"].where(ok, WORST_TAU)
    per_problem = value.groupby([part["estimator_label"], part["budget"], part["problem_label"]]).median()
    acc = per_problem.groupby(level=[0, 1]).median()
    secs = part[ok].groupby(["estimator_label", "budget"])["cell_seconds"].median()
    raw = pd.DataFrame({"total_s_median": secs, "wtau_median": acc}).dropna().reset_index()
    raw = raw.rename(columns={"estimator_label": "estimator"})
    order = raw.sort_values(["total_s_median", "wtau_median"], ascending=[True, False], kind="stable")
    best, front = -np.inf, []
    for idx, row in order.iterrows():
        if row["wtau_median"] > best:
            best = row["wtau_median"]
            front.append(idx)
    raw["on_front"] = raw.index.isin(front)
    show = pd.DataFrame({"estimator": raw["estimator"], "budget": raw["budget"].astype(str),
                         "total s": [_num(v, 3) for v in raw["total_s_median"]],
                         "median wtau": [_num(v, 3) for v in raw["wtau_median"]],
                         "on front": np.where(raw["on_front"], "yes", "")})
    return Table("tradeoff", "Accuracy against cost (seconds) and the Pareto front",
                 [(None, show)], raw,
                 "Median over problems of the median wtau over seeds (failed or timed-out cells "
                 "count as -1), against the median total seconds of a cell. 'yes': no other "
                 "estimator/budget is both faster and more accurate.")
