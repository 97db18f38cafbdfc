"""The report's pages: a static, self-contained ``index.html`` (inline CSS, relative links
only, no script, no network) and the same content as ``report.md``."""
from __future__ import annotations

import html
import json

import pandas as pd

from . import _tables

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1200px;margin:0 auto;
padding:1em 2em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
h3{margin-bottom:.3em}
nav a{margin-right:1.2em}
.howto{background:#f3f6fa;border-left:4px solid #4a78b0;padding:.6em 1em;margin:.8em 0}
.howto p{margin:.3em 0}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1em}
th,td{padding:.2em .6em;border-bottom:1px solid #e3e3e3;text-align:right;white-space:nowrap}
th{border-bottom:2px solid #999;background:#fafafa;position:sticky;top:0}
td.l,th.l{text-align:left}
.scroll{overflow-x:auto;max-width:100%}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
.gallery{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}.gallery figure{margin:0}
figcaption{font-size:.85em;color:#555}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}h4{margin:.8em 0 .2em}
.files{font-size:.85em;color:#555}
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.8em}
.counts span{display:inline-block;margin-right:1.5em}
"""

_HOWTO = {
    "overview": (
        "Each cell is one run of one estimator on one problem at one budget (evaluations "
        "allowed) and one seed. Every estimator is scored against the truth of what it "
        "declares to estimate (its target); [oracle] marks estimators that receive "
        "information for free (e.g. exact gradients) and are not comparable at equal budget.",
    ),
    "accuracy": (
        "wtau is the weighted Kendall tau between the estimator's importance ranking and the "
        "true ranking of its target (1 = perfect, 0 = no better than chance; the top ranks "
        "weigh most). rho is Spearman's rank correlation. MAE S1/ST are mean absolute errors "
        "of first/total-order Sobol' estimates, only for estimators that give such estimates.",
        "Figure: one panel per problem, budget on a log axis; the point is the median over "
        "seeds, the bar the interquartile range. Points of different estimators are shifted "
        "slightly sideways so bars do not hide each other. Heat maps: the median at one "
        "budget for every problem and estimator; grey means not run, failed or no score.",
    ),
    "efficiency": (
        "Fixed-target view: the smallest budget at which at least half of the seeds reach a "
        "target (wtau >= 0.9; MAE of ST <= 0.05 and <= 0.02), with how many seeds reach it. "
        "Lower is better; 'not reached' means no budget of the sweep was enough.",
        "Data profiles: for each estimator, the share of (problem, seed, target) runs that "
        "reached the target at some budget up to x. A curve higher and further left is "
        "better; a curve that stays flat means the remaining targets were never reached.",
    ),
    "cost": (
        "Median evaluations charged, analysis seconds and total seconds per cell, by "
        "budget; every failed, timed-out and skipped cell is counted. Seconds depend on the "
        "machine the sweep ran on; compare estimators within one report only.",
        "Accuracy against cost: each line is an estimator, its points the budgets. The "
        "circled points form the Pareto front: none of them is beaten by another point in "
        "both speed and accuracy. Failed or timed-out cells count as wtau = -1.",
    ),
    "ranking": (
        "Per problem, estimators are ranked by median wtau (1 = best); the table gives the "
        "mean rank over problems. The Friedman test asks whether the estimators rank alike; a "
        "small p says they do not. Pairwise Wilcoxon signed-rank tests over problems "
        "(Holm-corrected for the number of pairs) then say which pairs differ.",
        "Critical-difference diagram: estimators on the axis by mean rank (left = better); a "
        "horizontal bar joins estimators whose difference is not significant at 5%.",
    ),
}

_SECTIONS = (
    ("accuracy", "Accuracy", ["accuracy_vs_budget", "heatmaps"], ["winners", "accuracy"]),
    ("efficiency", "Sample efficiency", ["data_profiles"], ["efficiency"]),
    ("cost", "Cost", ["runtime_vs_budget", "accuracy_vs_cost"], ["cost", "tradeoff", "failures"]),
    ("ranking", "Ranking", ["critical_difference"], ["ranking", "friedman", "posthoc"]),
)
_OPEN = {"winners", "cost", "tradeoff", "ranking", "friedman"}  # tables shown expanded
_E = html.escape


def _html_table(frame: pd.DataFrame) -> str:
    left = [' class="l"' if not n else "" for n in _tables._numeric(frame)]
    head = "".join(f"<th{a}>{_E(str(c))}</th>" for a, c in zip(left, frame.columns))
    rows = "".join("<tr>" + "".join(f"<td{a}>{_E(str(v))}</td>" for a, v in zip(left, row)) + "</tr>"
                   for row in frame.astype(str).values.tolist())
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'


def _html_tables(t: _tables.Table) -> str:
    files = " · ".join(f'<a href="tables/{t.name}.{ext}">{ext}</a>' for ext in ("md", "tex", "csv"))
    parts = [f"<h3>{_E(t.caption)}</h3>", f'<p class="files">Files: {files}</p>']
    if t.note:
        parts.append(f"<p>{_E(t.note)}</p>")
    opened = " open" if t.name in _OPEN else ""
    if len(t.sections) == 1 and t.sections[0][0] is None:
        body = _html_table(t.sections[0][1])
        n = len(t.sections[0][1])
        parts.append(f"<details{opened}><summary>table ({n} rows)</summary>{body}</details>")
    elif len(t.sections) > 4:  # one fold for all, so the page does not become a list of folds
        inner = "".join(f"<h4>{_E(heading)}</h4>{_html_table(frame)}" for heading, frame in t.sections)
        names = ", ".join(h for h, _ in t.sections)
        parts.append(f"<details{opened}><summary>{len(t.sections)} tables: {_E(names)}</summary>{inner}</details>")
    else:
        for heading, frame in t.sections:
            parts.append(f"<details{opened}><summary>{_E(heading)}</summary>{_html_table(frame)}</details>")
    return "\n".join(parts)


def _images(figures: dict, names) -> list[tuple[str, str, list[str]]]:
    """(stem, raster file or None, all files) of the figures of a section."""
    out = []
    for name in names:
        stems = dict.fromkeys(f.rsplit(".", 1)[0] for f in figures.get(name, []))
        for stem in stems:
            files = [f for f in figures[name] if f.rsplit(".", 1)[0] == stem]
            raster = next((f for f in files if f.endswith((".png", ".svg"))), None)
            out.append((stem, raster, files))
    return out


def _estimators(df: pd.DataFrame) -> pd.DataFrame:
    g = df.groupby("estimator_label", sort=True)
    targets = _tables._targets(df)
    return pd.DataFrame({"estimator": list(g.groups),
                         "target (ranked against)": [targets[e] for e in g.groups],
                         "oracle": ["yes" if e.endswith("[oracle]") else "" for e in g.groups],
                         "cells": g.size().to_numpy().astype(str),
                         "ok": g["status"].apply(lambda s: int((s == "ok").sum())).to_numpy().astype(str)})


def write_pages(out, tables: dict, figures: dict, prov: dict, df: pd.DataFrame, extra=()):
    """Write index.html and report.md; ``extra`` lists (title, file) of further sections
    written into ``out`` by other report builders, linked before the provenance."""
    suites = ", ".join(s["name"] for s in prov["suite"]) or "(unnamed)"
    counts = prov["counts"]
    tags = ("Problem tags come from the store." if prov["problem_tags"] else
            "The store carries no problem tags, so the ranking is not split by tag.")
    est_table = _estimators(df)
    body = [f"<h1>benchsens report: {_E(suites)}</h1>",
            '<nav><a href="#overview">Overview</a>' + "".join(
                f'<a href="#{k}">{_E(title)}</a>' for k, title, _, _ in _SECTIONS)
            + '<a href="#provenance">Provenance</a></nav>',
            '<h2 id="overview">Overview</h2>',
            '<div class="howto">' + "".join(f"<p>{_E(p)}</p>" for p in _HOWTO["overview"]) + "</div>",
            f'<p class="counts"><span><b>{prov["cells"]}</b> cells</span>'
            + "".join(f"<span>{_E(s)}: <b>{n}</b></span>" for s, n in counts.items())
            + f'<span><b>{prov["problems"]}</b> problems</span><span><b>{prov["estimators"]}</b> estimators</span>'
            f'<span>budgets: {_E(", ".join(map(str, prov["budgets"])))}</span></p>',
            f"<p>{_E(tags)}</p>", _html_table(est_table)]
    md = [f"# benchsens report: {suites}", "", " ".join(_HOWTO["overview"]), "",
          f"{prov['cells']} cells: " + ", ".join(f"{s} {n}" for s, n in counts.items())
          + f"; {prov['problems']} problems, {prov['estimators']} estimators. {tags}", "",
          _tables.to_markdown(_tables.Table("estimators", "Estimators", [(None, est_table)], est_table))
          .split("\n", 2)[2], ""]
    for key, title, fig_names, table_names in _SECTIONS:
        body.append(f'<h2 id="{key}">{_E(title)}</h2>')
        body.append('<div class="howto"><b>How to read this.</b>'
                    + "".join(f"<p>{_E(p)}</p>" for p in _HOWTO[key]) + "</div>")
        md += [f"## {title}", "", "**How to read this.** " + " ".join(_HOWTO[key]), ""]
        for name in fig_names:
            images = _images(figures, [name])
            many = len(images) > 1  # one figure per budget: side by side when they fit
            body.append('<div class="gallery">' if many else "")
            for stem, raster, files in images:
                links = " · ".join(f'<a href="figures/{f}">{f.rsplit(".", 1)[1]}</a>' for f in files)
                img = (f'<img src="figures/{raster}" alt="{_E(stem)}" loading="lazy">' if raster else "")
                body.append(f"<figure>{img}<figcaption>{_E(stem)} ({links})</figcaption></figure>")
                md += [f"![{stem}](figures/{raster})" if raster else f"[{stem}](figures/{files[0]})", ""]
            body.append("</div>" if many else "")
        for name in table_names:
            body.append(_html_tables(tables[name]))
            t = tables[name]
            md += [f"- {t.caption}: [Markdown](tables/{t.name}.md), [LaTeX](tables/{t.name}.tex), "
                   f"[CSV](tables/{t.name}.csv)"]
        if key == "ranking":  # the headline table, inline
            md += ["", _tables.to_markdown(tables["ranking"]).replace("\n## ", "\n### ").split("\n", 1)[1]]
        md.append("")
    if extra:
        body.append('<h2 id="more">More sections</h2><ul>'
                    + "".join(f'<li><a href="{_E(f)}">{_E(t)}</a></li>' for t, f in extra) + "</ul>")
        md += ["## More sections", ""] + [f"- [{t}]({f})" for t, f in extra] + [""]
    prov_text = json.dumps(prov, indent=2, sort_keys=True)
    body += ['<h2 id="provenance">Provenance</h2>',
             '<p>What this report was built from and with (also in '
             '<a href="provenance.json">provenance.json</a>). The date is the only field that '
             "changes between two builds from the same store.</p>",
             f"<pre>{_E(prov_text)}</pre>"]
    md += ["## Provenance", "", "See [provenance.json](provenance.json).", ""]
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>benchsens report: {_E(suites)}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")
    (out / "index.html").write_text(page, encoding="utf-8")
    (out / "report.md").write_text("\n".join(md), encoding="utf-8")
    return out / "index.html"
