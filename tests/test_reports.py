"""Reports: built from a small store with ok, error, timeout and skipped cells; table values
recomputed directly from ``bs.load_results``; Friedman/post-hoc numbers from the libraries
called directly; provenance; reproducible builds; a page whose links all resolve; and a
reports package that imports no problem, estimator or harness module."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs as sp
from scipy import stats

import benchsens as bs
from benchsens.reports import build_report, load_cells
from benchsens.store import Store, export

PROBLEMS = {"p_lin": ["analytic", "d=2"], "p_mix": ["analytic", "hp-like", "d=2"], "p_eng": ["engineering"],
            "p_real": ["real", "hp-like"], "p_none": ["real"]}  # p_none has no truth
ESTIMATORS = {"e_total": ("total", False), "e_first": ("first", False),
              "e_grad": ("derivative", True), "e_dep": ("dependence", False),
              "e_marg": ("marginal", False)}  # its truth exists only on p_mix, p_eng and p_real
BUDGETS = (16, 64)
SEEDS = range(4)
SPEC = {"name": "tiny-v1", "budgets": list(BUDGETS), "seeds": list(SEEDS)}


def _rows():
    """Cells of a sweep with known scores: e_total gets value errors, the rest only ranks;
    one error, one timeout and the skipped cells of e_dep at budget 16 on p_eng."""
    rng = np.random.default_rng(7)
    rows = []
    for p in PROBLEMS:
        for e, (target, oracle) in ESTIMATORS.items():
            for b in BUDGETS:
                for s in SEEDS:
                    key = hashlib.sha256(f"{p}/{e}/{b}/{s}".encode()).hexdigest()
                    row = {"key": key, "sweep": SPEC["name"], "problem": p, "params": "{}",
                           "estimator": e, "options": "{}", "version": "1", "target": target,
                           "oracle": oracle, "budget": b, "seed": s, "noise": 0.0,
                           "replicate": False, "regime": "design", "status": "ok", "message": "",
                           "finished": "2026-01-01T00:00:00+00:00"}
                    if (p, e, b) == ("p_eng", "e_dep", 16):
                        row.update(status="skipped", message="budget 16 is below the minimum")
                    elif (p, e, b, s) == ("p_mix", "e_first", 64, 1):
                        row.update(status="error", message="ValueError: boom")
                    elif (p, e, b, s) == ("p_lin", "e_grad", 16, 2):
                        row.update(status="timeout", message="cell exceeded its timeout")
                    else:
                        skill = {"e_total": 0.9, "e_first": 0.6, "e_grad": 0.75, "e_dep": 0.4, "e_marg": 0.5}[e]
                        tau = float(np.clip(skill + 0.1 * np.log2(b / 16) + 0.15 * rng.standard_normal(), -1, 1))
                        scores = {"spearman": tau + 0.02, "weighted_tau": tau,
                                  "spearman_total": tau, "weighted_tau_total": tau - 0.01,
                                  "mae_first": None, "mae_total": None}
                        if p == "p_none":
                            scores = {k: None for k in scores}
                        elif e == "e_marg" and p == "p_lin":
                            scores.update(spearman=None, weighted_tau=None)
                        elif e == "e_total":
                            scores["mae_total"] = float(abs(0.1 * rng.standard_normal()) * 16 / b)
                            scores["mae_first"] = float(abs(0.1 * rng.standard_normal()) * 16 / b)
                        row.update(scores=json.dumps(scores), n_evals=b - (s % 2),
                                   analysis_seconds=float(rng.uniform(0.01, 0.1)) * b / 16,
                                   cell_seconds=float(rng.uniform(0.1, 0.2)) * b / 16,
                                   truth_kind=None if p == "p_none" else "exact",
                                   versions=json.dumps({"benchsens": "0.1.0", "numpy": "2"}))
                    rows.append(row)
    return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "tiny.sqlite"
    with Store(path) as st:
        rows = _rows()
        sid = st.begin_sweep(SPEC["name"], SPEC, [r["key"] for r in rows])
        st.put(rows)
        st.end_sweep(sid)
    return path


@pytest.fixture(scope="module")
def report(store, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "r1"
    build_report(store, out, figure_formats=("png",))
    return out


@pytest.fixture(scope="module")
def cells(store):
    return bs.load_results(store)


def _table(report, name):
    return pd.read_csv(report / "tables" / f"{name}.csv")


def test_every_table_in_three_formats_and_every_figure(report):
    for name in ("accuracy", "winners", "efficiency", "cost", "failures", "tradeoff", "ranking",
                 "friedman", "posthoc"):
        for ext in ("md", "tex", "csv"):
            assert (report / "tables" / f"{name}.{ext}").stat().st_size > 0
        tex = (report / "tables" / f"{name}.tex").read_text()
        assert r"\toprule" in tex and r"\caption{" in tex and rf"\label{{tab:{name}" in tex
    figures = {p.stem for p in (report / "figures").glob("*.png")}
    for stem in ("accuracy_vs_budget", "data_profiles", "accuracy_vs_cost", "runtime_vs_budget",
                 "heatmap_budget16", "heatmap_budget64", "critical_difference_budget16"):
        assert stem in figures


def test_accuracy_table_matches_load_results(report, cells):
    table = _table(report, "accuracy").set_index(["problem", "estimator", "budget"])
    ok = cells[cells.status == "ok"]
    for (p, e, b), part in ok.groupby(["problem", "estimator", "budget"]):
        label = e + " [oracle]" if ESTIMATORS[e][1] else e
        row = table.loc[(p, label, b)]
        assert row["ok"] == len(part)
        assert row["cells"] == ((cells.problem == p) & (cells.estimator == e) & (cells.budget == b)).sum()
        assert row["target"].startswith(ESTIMATORS[e][0])
        assert bool(row["oracle"]) == ESTIMATORS[e][1]
        for col in ("weighted_tau", "spearman", "mae_total"):
            values = part[col].dropna().to_numpy()
            if values.size == 0:
                assert np.isnan(row[f"{col}_median"])
                continue
            np.testing.assert_allclose(row[f"{col}_median"], np.median(values), rtol=1e-8)
            np.testing.assert_allclose([row[f"{col}_q25"], row[f"{col}_q75"]],
                                       np.percentile(values, [25, 75]), rtol=1e-8)
    # the Markdown shows the same median
    md = (report / "tables" / "accuracy.md").read_text()
    med = table.loc[("p_lin", "e_total", 64), "weighted_tau_median"]
    assert f"{med:.3f} [" in md and "e_grad [oracle]" in md


def test_winners_are_the_best_medians_without_oracles(report, cells):
    table = _table(report, "winners").set_index(["problem", "budget"])
    for (p, b), part in cells[cells.problem != "p_none"].groupby(["problem", "budget"]):
        part = part[(part.estimator != "e_grad") & (part.status != "skipped")]  # e_grad: oracle
        if p == "p_lin":
            part = part[part.estimator != "e_marg"]  # no truth for its target there
        med = part.weighted_tau.where(part.status == "ok", -1.0).groupby(part.estimator).median()
        assert table.loc[(p, b), "best"] == ", ".join(sorted(med.index[med == med.max()]))
        np.testing.assert_allclose(table.loc[(p, b), "median_wtau"], med.max())


def test_cost_counts_every_status(report, cells):
    table = _table(report, "cost").set_index(["estimator", "budget"])
    assert table[["ok", "error", "timeout", "skipped"]].sum().to_dict() == \
        cells.status.value_counts().reindex(["ok", "error", "timeout", "skipped"], fill_value=0).to_dict()
    part = cells[(cells.estimator == "e_total") & (cells.budget == 64) & (cells.status == "ok")]
    np.testing.assert_allclose(table.loc[("e_total", 64), "analysis_s_median"], np.median(part.analysis_seconds))
    failures = _table(report, "failures")
    assert set(failures.status) == {"error", "timeout", "skipped"}
    assert failures.cells.sum() == (cells.status != "ok").sum()


def test_sample_efficiency_matches_a_direct_count(report, cells):
    table = _table(report, "efficiency").set_index(["problem", "estimator", "target"])
    for e in ESTIMATORS:
        label = e + " [oracle]" if ESTIMATORS[e][1] else e
        part = cells[(cells.problem == "p_lin") & (cells.estimator == e)]
        expect = np.nan
        for b in BUDGETS:
            at = part[part.budget == b]
            hits = ((at.status == "ok") & (at.weighted_tau >= 0.9)).sum()
            if 2 * hits >= len(at):
                expect = b
                break
        got = table.loc[("p_lin", label, "wtau>=0.9"), "budget"]
        assert (np.isnan(expect) and np.isnan(got)) or got == expect
    assert not table.loc[("p_lin", "e_first", "MAE ST<=0.05"), "defined"]


def test_data_profile_runs_count_failures_as_misses_and_skip_undefined_scores(store):
    from benchsens.reports import _tables

    df, _ = load_cells(store)
    hits = _tables.first_hits(df, "weighted_tau", "ge", [0.5]).set_index(
        ["estimator_label", "problem_label", "seed"])["first"]
    cells = bs.load_results(store)
    for (p, e, s), part in cells.groupby(["problem", "estimator", "seed"]):
        label = e + " [oracle]" if ESTIMATORS[e][1] else e
        if p == "p_none" or (e == "e_marg" and p == "p_lin"):  # no truth: not a run
            assert (label, p, s) not in hits.index
            continue
        reached = part[(part.status == "ok") & (part.weighted_tau >= 0.5)].budget
        assert hits[(label, p, s)] == (reached.min() if len(reached) else np.inf)


def _direct_matrix(cells, budget, problems, col="weighted_tau"):
    """Problems x estimators of median wtau over seeds, a failed cell counting as -1."""
    at = cells[(cells.budget == budget) & cells.problem.isin(problems)]
    if col == "weighted_tau":  # e_marg has no target-matched score on p_lin
        at = at[at.estimator != "e_marg"] if "p_lin" in problems else at
    value = at[col].where(at.status == "ok", -1.0)
    m = value.groupby([at.problem, at.estimator]).median().unstack()
    m.columns = [c + " [oracle]" if ESTIMATORS[c][1] else c for c in m.columns]
    return m.sort_index(axis=1)


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize(("scope", "col"), [("all problems", "weighted_tau"),
                                            ("all problems, ranked against ST", "weighted_tau_total")])
def test_friedman_and_posthoc_match_the_libraries(report, cells, budget, scope, col):
    problems = [p for p in PROBLEMS if p != "p_none"]  # no truth: no ranking
    m = _direct_matrix(cells, budget, problems, col)
    stat, p = stats.friedmanchisquare(*m.to_numpy().T)
    tests = _table(report, "friedman").set_index(["scope", "budget"])
    row = tests.loc[(scope, budget)]
    assert row["problems"] == len(problems) and row["estimators"] == m.shape[1]
    assert ("e_marg: no weighted_tau on p_lin" in str(row["excluded"])) == (col == "weighted_tau")
    np.testing.assert_allclose([row["friedman_chi2"], row["friedman_p"]], [stat, p], rtol=1e-8)
    post = sp.posthoc_wilcoxon(list(m.to_numpy().T), zero_method="zsplit", p_adjust="holm")
    post.index = post.columns = m.columns
    assert np.isfinite(post.to_numpy()).all()
    pairs = _table(report, "posthoc")
    pairs = pairs[(pairs.scope == scope) & (pairs.budget == budget)]
    assert len(pairs) == m.shape[1] * (m.shape[1] - 1) // 2
    for r in pairs.itertuples():
        np.testing.assert_allclose(r.p_holm, post.loc[r.estimator_a, r.estimator_b], rtol=1e-8)
    ranks = _table(report, "ranking")
    ranks = ranks[(ranks.scope == scope) & (ranks.budget == budget)].set_index("estimator")
    np.testing.assert_allclose(ranks.mean_rank[m.columns], m.rank(axis=1, ascending=False).mean())


def test_provenance_fields(report, store):
    prov = json.loads((report / "provenance.json").read_text())
    for field in ("benchsens_version", "git_commit", "python", "platform", "packages", "suite",
                  "store_sha256", "date", "counts"):
        assert field in prov
    for dist in ("numpy", "scipy", "scikit-learn", "SALib", "optuna"):
        assert dist in prov["packages"]
    assert prov["counts"] == {"ok": 194, "error": 1, "timeout": 1, "skipped": 4}
    (suite,) = prov["suite"]
    assert suite["name"] == "tiny-v1" and suite["version"] == "1"
    assert suite["spec_sha256"] == hashlib.sha256(json.dumps(SPEC, sort_keys=True).encode()).hexdigest()


def test_two_builds_identical_and_the_csv_export_gives_the_same_report(report, store, tmp_path):
    again = tmp_path / "again"
    build_report(store, again, figure_formats=("png",))
    for f in sorted((report / "tables").iterdir()):
        assert (again / "tables" / f.name).read_bytes() == f.read_bytes(), f.name
    # an export, with problem tags added, reports the same cells (and splits the ranking by tag)
    csv = tmp_path / "tiny.csv"
    export(store, csv)
    df = pd.read_csv(csv)
    df["tags"] = df.problem.map(lambda p: json.dumps(PROBLEMS[p]))
    df.to_csv(csv, index=False)
    tagged = tmp_path / "tagged"
    build_report(csv, tagged, figure_formats=("png",))
    for name in ("accuracy", "winners", "efficiency", "cost", "failures", "tradeoff"):
        assert (tagged / "tables" / f"{name}.csv").read_bytes() == \
            (report / "tables" / f"{name}.csv").read_bytes(), name
    ranks = _table(tagged, "ranking")
    assert set(ranks.scope) == {"all problems", "tag analytic", "tag engineering", "tag hp-like",
                                "tag real", "all problems, ranked against ST"}
    base = _table(report, "ranking")
    for scope in ("all problems", "all problems, ranked against ST"):
        pd.testing.assert_frame_equal(ranks[ranks.scope == scope].reset_index(drop=True),
                                      base[base.scope == scope].reset_index(drop=True))
    # the tag split: Friedman on the analytic problems alone, as the library computes it
    m = _direct_matrix(bs.load_results(store), 64, ["p_lin", "p_mix"])
    tests = _table(tagged, "friedman").set_index(["scope", "budget"])
    np.testing.assert_allclose(tests.loc[("tag analytic", 64), "friedman_p"],
                               stats.friedmanchisquare(*m.to_numpy().T).pvalue, rtol=1e-8)
    # the store hash is the same for a store and its plain export
    plain = tmp_path / "plain.csv.gz"
    load_results = bs.load_results(store, decode=False)
    load_results.to_csv(plain, index=False)
    assert load_cells(plain)[1]["store_hash"] == \
        json.loads((report / "provenance.json").read_text())["store_sha256"]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src"):
                self.refs.append((tag, value))


def test_index_html_links_and_images_resolve(report):
    parser = _Links()
    parser.feed((report / "index.html").read_text())
    images = [v for t, v in parser.refs if t == "img"]
    assert len(images) == len(list((report / "figures").glob("*.png")))
    tables = {v for t, v in parser.refs if t == "a" and v.startswith("tables/")}
    assert tables == {f"tables/{p.name}" for p in (report / "tables").iterdir()}
    for tag, ref in parser.refs:
        assert "://" not in ref and not ref.startswith("//"), ref  # no network
        if ref.startswith("#"):
            assert f'id="{ref[1:]}"' in (report / "index.html").read_text()
        else:
            assert (report / ref).is_file(), ref


def test_cli_report_and_missing_store(store, tmp_path, capsys):
    from benchsens.cli import main

    assert main(["report", str(tmp_path / "nope.sqlite"), "--out", str(tmp_path / "r")]) == 2
    assert "no result store" in capsys.readouterr().err


def test_reports_import_no_problem_estimator_or_harness():
    """Imported on its own (the package's __init__ bypassed), benchsens.reports pulls in
    nothing that defines problems or estimators or runs sweeps."""
    code = f"""
import sys, types
pkg = types.ModuleType("benchsens")
pkg.__path__ = [{str(Path(bs.__file__).parent)!r}]
sys.modules["benchsens"] = pkg
import benchsens.reports, benchsens.reports._figures
bad = sorted(m for m in sys.modules if m.startswith(("benchsens.problems", "benchsens.estimators",
             "benchsens.harness", "benchsens._api", "benchsens._pipeline", "benchsens.registry",
             "benchsens.problem", "benchsens.testing")))
print(bad)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_accuracy_figure_pools_problems_per_objective_beyond_max_panels():
    import pandas as pd

    from benchsens.reports import _figures

    n = _figures.MAX_PANELS + 1
    ok = pd.DataFrame({"problem": [f"p{i}" for i in range(n)] * 2,
                       "problem_label": [f"p{i} random" for i in range(n)] * 2,
                       "objective": ["loss"] * n + [None] * n})
    panel, over = _figures._panels(ok)
    assert over == "problems and seeds"
    assert set(panel) == {f"loss: all {n} problems", f"all {n} problems"}
    few, over = _figures._panels(ok.iloc[:3])
    assert list(few) == ["p0 random", "p1 random", "p2 random"] and over == "seeds"
