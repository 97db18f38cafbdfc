"""The objectives section of the report: built from a small sweep of two real grids under
four objectives; its truth table checked against the problems' own exact truths, its accuracy
table and shifts recomputed directly from the store, the general tables' per-objective
problem labels, the section's absence without several objectives, and an export that gives
the identical section."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import benchsens as bs
from benchsens.reports import build_report, load_cells
from benchsens.reports.objectives import build_objectives, has_objectives
from benchsens.store import export

GRIDS = ("hpobench_mlp.car", "mlp_digits")
OBJECTIVES = ("loss", "log_time", "pareto", "pareto_eps")
ESTIMATORS = ("fanova", "hsic")
BUDGETS = (64, 128)
SECTION_TABLES = ("objectives_truth", "objectives_shift", "objectives_top", "objectives_accuracy")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("mo") / "mo.sqlite"
    bs.run_sweep({"name": "mo-test", "budgets": list(BUDGETS), "seeds": 2, "regimes": ["random"],
                  "objectives": list(OBJECTIVES), "problems": list(GRIDS), "estimators": list(ESTIMATORS)},
                 store=path, workers=1, progress=False, summary=False)
    return path


@pytest.fixture(scope="module")
def report(store, tmp_path_factory):
    out = tmp_path_factory.mktemp("mo_report") / "r"
    build_report(store, out, figure_formats=("png",))
    return out


def _csv(report, name):
    return pd.read_csv(report / "tables" / f"{name}.csv")


def test_section_tables_figures_and_link(report):
    for name in SECTION_TABLES:
        for ext in ("md", "tex", "csv"):
            assert (report / "tables" / f"{name}.{ext}").is_file(), (name, ext)
    for fig in ("objectives_truth_heatmap", "objectives_estimates"):
        assert (report / "figures" / f"{fig}.png").is_file(), fig
    page = (report / "objectives.md").read_text()
    assert 'href="objectives.md"' in (report / "index.html").read_text()
    for link in [w[len("figures/"):].split(")")[0] for w in page.split("](") if w.startswith("figures/")]:
        assert (report / "figures" / link).is_file(), link


def test_truth_table_is_each_objectives_exact_truth(report):
    t = _csv(report, "objectives_truth")
    assert set(t["problem"]) == set(GRIDS) and set(t["objective"]) == set(OBJECTIVES)
    for grid in GRIDS:
        for objective in OBJECTIVES:
            problem = bs.get_problem(grid).with_objective(objective)
            got = t[(t["problem"] == grid) & (t["objective"] == objective)].set_index("parameter")
            assert list(got.index) == list(problem.space.names)
            np.testing.assert_allclose(got["ST"], problem.truth.total, rtol=1e-8, atol=1e-12)
            np.testing.assert_allclose(got["S1"], problem.truth.first, rtol=1e-8, atol=1e-12)


def test_shift_is_the_largest_change_from_the_loss(report):
    shift = _csv(report, "objectives_shift").set_index(["problem", "objective"])
    for grid in GRIDS:
        loss = bs.get_problem(grid).truth.total
        names = bs.get_problem(grid).space.names
        for objective in OBJECTIVES[1:]:
            diff = bs.get_problem(grid).with_objective(objective).truth.total - loss
            i = int(np.argmax(np.abs(diff)))
            row = shift.loc[(grid, objective)]
            assert row["parameter"] == names[i]
            np.testing.assert_allclose(row["shift"], diff[i], rtol=1e-8, atol=1e-12)


def test_accuracy_by_objective_matches_the_store(report, store):
    acc = _csv(report, "objectives_accuracy").set_index(["estimator", "objective", "budget"])
    cells = bs.load_results(store)
    assert len(acc) == len(ESTIMATORS) * len(OBJECTIVES) * len(BUDGETS)
    for (est, objective, budget), g in cells.groupby(["estimator", "objective", "budget"]):
        row = acc.loc[(est, objective, budget)]
        assert row["cells"] == len(g) == len(GRIDS) * 2
        ok = g[(g["status"] == "ok") & g["weighted_tau"].notna()]
        assert row["scored"] == len(ok)
        np.testing.assert_allclose([row["weighted_tau"], row["spearman"]],
                                   [ok["weighted_tau"].median(), ok["spearman"].median()], rtol=1e-8)


def test_general_tables_keep_objectives_apart(report, store):
    acc = _csv(report, "accuracy")
    expected = {g if o == "loss" else f"{g}.{o}" for g in GRIDS for o in OBJECTIVES}
    assert {p.split(" ")[0] for p in acc["problem"]} == expected
    df, _ = load_cells(store)
    assert (df.groupby("problem")["objective"].nunique() == 1).all()
    assert set(df["base_problem"]) == set(GRIDS)
    for label, g in df.groupby("problem_label"):  # each row of the table counts one objective's cells
        assert acc.loc[acc["problem"] == label, "cells"].sum() == len(g)


def test_export_gives_the_identical_section(report, store, tmp_path):
    csv = tmp_path / "mo.csv.gz"
    export(store, csv)
    out = tmp_path / "from_export"
    build_objectives(csv, out, figure_formats=("png",))
    assert (out / "objectives.md").read_text() == (report / "objectives.md").read_text()
    for name in SECTION_TABLES:
        for ext in ("md", "tex", "csv"):
            f = f"{name}.{ext}"
            assert (out / "tables" / f).read_bytes() == (report / "tables" / f).read_bytes(), f
    # cells recorded under a registered objective name (svc_digits.log_time) are the same surface
    df = pd.read_csv(csv)
    cost = df["objective"] == "log_time"
    df.loc[cost, "problem"] = df.loc[cost, "problem"] + ".log_time"
    df.to_csv(tmp_path / "registered.csv", index=False)
    assert set(load_cells(tmp_path / "registered.csv")[0]["problem"]) == set(load_cells(csv)[0]["problem"])
    build_objectives(tmp_path / "registered.csv", tmp_path / "registered", figure_formats=("png",))
    for f in ("objectives_truth.csv", "objectives_shift.csv", "objectives_accuracy.csv"):
        assert (tmp_path / "registered" / "tables" / f).read_bytes() == (report / "tables" / f).read_bytes(), f


def test_no_section_without_several_objectives(store, tmp_path):
    raw = bs.load_results(store, decode=False)
    loss_only = tmp_path / "loss.csv"
    raw[(raw["objective"] == "loss") & (raw["estimator"] == "hsic")].to_csv(loss_only, index=False)
    out = tmp_path / "r"
    build_report(loss_only, out, figure_formats=("png",))
    assert not (out / "objectives.md").exists() and "objectives.md" not in (out / "index.html").read_text()
    assert not list((out / "tables").glob("objectives_*"))
    with pytest.raises(ValueError, match="two or more objectives"):
        build_objectives(loss_only, tmp_path / "x")
    # a store from before objectives (no column): labels are the plain names, no section
    old = tmp_path / "old.csv"
    raw.drop(columns="objective").to_csv(old, index=False)
    df, _ = load_cells(old)
    assert not has_objectives(df)
    assert set(df["problem"]) == set(GRIDS) and (df["problem"] == df["base_problem"]).all()


def test_objectives_section_imports_no_problem_or_estimator():
    code = f"""
import sys, types
pkg = types.ModuleType("benchsens")
pkg.__path__ = [{str(Path(bs.__file__).parent)!r}]
sys.modules["benchsens"] = pkg
import benchsens.reports.objectives
print(sorted(m for m in sys.modules if m.startswith(("benchsens.problems", "benchsens.estimators",
             "benchsens.harness", "benchsens._api", "benchsens._pipeline", "benchsens.registry",
             "benchsens.problem", "benchsens.testing"))))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_cli_builds_the_section_and_reports_a_bad_input_in_one_line(store, tmp_path, capsys):
    from benchsens.reports.objectives import main

    main([str(store), "--out", str(tmp_path / "cli"), "--figure-formats", "png"])
    assert (tmp_path / "cli" / "objectives.md").is_file()
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path / "nope.sqlite"), "--out", str(tmp_path / "x")])
    assert exc.value.code == 2 and "no result store" in capsys.readouterr().err


def test_noise_levels_are_kept_apart(store, tmp_path):
    """Cells of another noise level are their own surfaces and accuracy rows, never pooled
    into one median with the noiseless cells."""
    raw = bs.load_results(store, decode=False)
    noisy = raw.assign(noise=0.1, weighted_tau=-raw["weighted_tau"], spearman=-raw["spearman"])
    both = tmp_path / "both.csv"
    pd.concat([raw, noisy]).to_csv(both, index=False)
    out = build_objectives(both, tmp_path / "r", figure_formats=("png",)).parent
    t = pd.read_csv(out / "tables" / "objectives_truth.csv")
    assert set(t["problem"]) == set(GRIDS) | {f"{g} noise=0.1" for g in GRIDS}
    acc = pd.read_csv(out / "tables" / "objectives_accuracy.csv", keep_default_na=False)
    assert len(acc) == 2 * len(ESTIMATORS) * len(OBJECTIVES) * len(BUDGETS)
    acc = acc.set_index(["estimator", "setting", "objective", "budget"])
    for noise, setting, cells in ((0.0, "", raw), (0.1, "noise=0.1", noisy)):
        for (est, objective, budget), g in cells.groupby(["estimator", "objective", "budget"]):
            row = acc.loc[(est, setting, objective, budget)]
            ok = g[(g["status"] == "ok") & g["weighted_tau"].notna()]
            assert int(row["cells"]) == len(g) and int(row["scored"]) == len(ok)
            np.testing.assert_allclose(float(row["weighted_tau"]), ok["weighted_tau"].median(), rtol=1e-8)
