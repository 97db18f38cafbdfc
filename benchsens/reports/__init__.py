"""Reports: comparison tables, figures, a static web page and the provenance of a result
store, built from the store alone (this package imports no problem or estimator).

``build_report(store, out)`` reads a SQLite store (or its CSV/Parquet export, which gives
the identical report) and writes into ``out``::

    index.html          every table and figure, "how to read this", provenance at the bottom
    report.md           the same as Markdown (tables inline, figures as PNG links)
    provenance.json     versions, platform, suite and spec hash, store hash, date, counts
    tables/NAME.{md,tex,csv}
    figures/NAME.{png,pdf}

From the command line: ``benchsens report STORE --out DIR``.
"""
from __future__ import annotations

import datetime
import json
from pathlib import Path

from . import _data, _tables
from ._data import load_cells
from ._page import write_pages

__all__ = ["build_report", "load_cells"]

FIGURE_FORMATS = ("png", "pdf")


def _check_formats(figure_formats) -> tuple[str, ...]:
    """The figure formats without repeats, or a ValueError naming them unless all are
    among png, pdf and svg (and there is at least one)."""
    formats = tuple(dict.fromkeys(figure_formats))
    bad = [f for f in formats if f not in ("png", "pdf", "svg")]
    if bad or not formats:
        raise ValueError(f"figure formats must be among png, pdf, svg; got {list(figure_formats)!r}")
    return formats


def build_report(store, out, figure_formats=FIGURE_FORMATS) -> Path:
    """Build the report of ``store`` (SQLite store, or a ``.csv[.gz]``/``.parquet`` export)
    into directory ``out`` and return the path of its ``index.html``.

    Tables are identical for identical cells; only ``provenance.json`` (and the page
    footer that shows it) carries the build date.
    """
    from . import _figures

    formats = _check_formats(figure_formats)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"report output {str(out)!r} exists and is not a directory")
    df, facts = load_cells(store)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)

    results = _tables.rankings(df)
    rank_t, test_t, post_t = _tables.ranking_tables(results)
    trade = _tables.tradeoff(df)
    tables = {t.name: t for t in (
        _tables.accuracy(df, _data.SCORES), _tables.winners(df), _tables.efficiency(df), _tables.cost(df),
        _tables.failures(df), trade, rank_t, test_t, post_t)}
    for t in tables.values():
        for ext, writer in (("md", _tables.to_markdown), ("tex", _tables.to_latex), ("csv", _tables.to_csv)):
            (out / "tables" / f"{t.name}.{ext}").write_text(writer(t), encoding="utf-8")

    figures = _figures.all_figures(df, trade.csv, results, out / "figures", formats)
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    prov = _data.provenance(df, facts, today)
    (out / "provenance.json").write_text(json.dumps(prov, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    extra = []  # (title, file) of further sections, linked from index.html
    if "sweep" in df and (df["sweep"] == "puy2022").any():  # the published-benchmark section
        import warnings

        from .puy2022 import build_puy2022

        try:
            readme = build_puy2022(store, out)  # README.md, tables/puy2022_*, figures/puy2022_*
            extra.append(("Puy et al. (2022) total-order estimator comparison", readme.name))
        except ValueError as exc:  # e.g. a partial sweep: no scenario every estimator finished
            warnings.warn(f"puy2022 section left out: {exc}", stacklevel=2)
    if "sweep" in df and (df["sweep"] == "hpo-v1").any():  # importance from tuning traces
        from .hpo import build_hpo

        page = build_hpo(store, out, page="hpo.md")  # hpo.md, tables/hpo_*, figures/hpo_*
        extra.append(("Importance from tuning traces and staged-tuning regret (hpo-v1)", page.name))
    from .objectives import has_objectives, write_section

    if has_objectives(df):  # some problem run under two or more objectives
        page = write_section(df, out, page="objectives.md", formats=formats, source=store)
        extra.append(("Importance per objective: loss, cost, memory and the Pareto front", page.name))
    return write_pages(out, tables, figures, prov, df, extra)
