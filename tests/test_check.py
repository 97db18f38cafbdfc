"""``benchsens check``: the comparison rule on synthetic baselines, baseline validation, and
the command end to end with a plug-in estimator in several releases (``tests/plugins``).

The plug-in is made visible without pip: a ``.dist-info`` directory whose
``entry_points.txt`` points ``testplugin.sobol`` at one release class, on the PYTHONPATH of a
subprocess (importlib.metadata finds distributions on ``sys.path``).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from benchsens import check

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_SRC = ROOT / "tests" / "plugins"

# -- synthetic baselines -------------------------------------------------------------------------
PROBLEMS = ("ishigami", "sobol_g", "gstar", "borehole")


def _frame(estimator="est", version="1", seeds=range(6), budgets=(512,), tau=None, status="ok",
           suite="s", problems=PROBLEMS, key_version=None):
    """Baseline-form rows; ``tau(problem, budget, seed)`` gives weighted_tau."""
    rows = []
    for p in problems:
        for b in budgets:
            for s in seeds:
                kv = version if key_version is None else key_version
                rows.append({"suite": suite, "problem": p, "params": "{}", "estimator": estimator,
                             "options": "{}", "budget": b, "noise": 0.0, "regime": "design",
                             "seed": s, "version": version, "key": f"{p}-{estimator}-{kv}-{b}-{s}",
                             "status": status, "n_evals": b,
                             "weighted_tau": np.nan if tau is None else tau(p, b, s),
                             "spearman": 0.5})
    return pd.DataFrame(rows)


def _noise(seed):
    rng = np.random.default_rng(seed)
    table = {}
    return lambda p, b, s: table.setdefault((p, b, s), float(np.clip(0.7 + 0.15 * rng.standard_normal(), -1, 1)))


def test_identical_when_keys_and_scores_agree():
    tau = _noise(0)
    base = _frame(tau=tau)
    cmp = check.compare(base, base.copy())
    assert set(cmp.rows["status"]) == {"identical"} and not cmp.failed
    assert list(cmp.groups["verdict"]) == ["identical"]


def test_new_random_stream_is_unchanged_and_a_drop_is_a_regression():
    base = _frame(tau=_noise(0))
    fresh = _frame(version="2", tau=_noise(1))
    cmp = check.compare(base, fresh)
    assert list(cmp.groups["verdict"]) == ["unchanged"] and not cmp.failed
    assert set(cmp.rows["status"]) == {"changed"}

    worse_tau = _noise(1)
    worse = _frame(version="2", tau=lambda p, b, s: worse_tau(p, b, s) - 0.2)
    cmp = check.compare(base, worse)
    assert list(cmp.groups["verdict"]) == ["regression"] and cmp.failed
    # the group's numbers are the paired differences, recomputed here
    d = worse["weighted_tau"].to_numpy() - base["weighted_tau"].to_numpy()
    g = cmp.groups.iloc[0]
    assert g["pairs"] == d.size and g["mean"] == pytest.approx(d.mean())
    assert g["p_worse"] == pytest.approx(stats.wilcoxon(d, alternative="less").pvalue)

    better = _frame(version="2", tau=lambda p, b, s: worse_tau(p, b, s) + 0.2)
    cmp = check.compare(base, better)
    assert list(cmp.groups["verdict"]) == ["improvement"] and not cmp.failed


def test_a_significant_but_tiny_drop_is_not_a_regression():
    base = _frame(tau=_noise(0), seeds=range(30))
    base_tau = {(r.problem, r.seed): r.weighted_tau for r in base.itertuples()}
    shifted = _frame(version="2", seeds=range(30), tau=lambda p, b, s: base_tau[(p, s)] - 0.02)
    cmp = check.compare(base, shifted)
    g = cmp.groups.iloc[0]
    assert g["p_worse_holm"] < check.ALPHA and g["mean"] == pytest.approx(-0.02)
    assert g["verdict"] == "unchanged"


def test_scores_changed_under_the_same_version_are_judged_and_flagged():
    base = _frame(tau=_noise(0))
    same_keys = base.copy()
    same_keys["weighted_tau"] -= 0.3
    cmp = check.compare(base, same_keys)
    assert set(cmp.rows["status"]) == {"changed, same version"}
    assert cmp.groups.iloc[0]["verdict"] == "regression" and cmp.groups.iloc[0]["same_version"]


def test_failed_new_and_missing_rows():
    tau = _noise(0)
    base = pd.concat([_frame("a", tau=tau), _frame("gone", tau=tau)])
    cur = pd.concat([_frame("a", tau=tau), _frame("fresh", tau=tau)])
    cur.loc[(cur["estimator"] == "a") & (cur["problem"] == "gstar") & (cur["seed"] == 0), "status"] = "error"
    cmp = check.compare(base, cur)
    verdicts = dict(zip(cmp.groups["estimator"], cmp.groups["verdict"]))
    assert verdicts == {"a": "failed", "gone": "missing", "fresh": "new"}
    rows = cmp.rows.set_index(["estimator", "problem"])["status"]
    assert rows["a", "gstar"] == "failed" and rows["a", "ishigami"] == "identical"
    assert cmp.failed
    # new rows alone pass
    assert not check.compare(_frame("a", tau=tau), cur[cur["status"] == "ok"].query("estimator == 'a' and problem != 'gstar'")
                             .pipe(lambda f: pd.concat([f, _frame("a", tau=tau, problems=("gstar",))]))).failed


@pytest.mark.parametrize("change", ["drop_cell", "extra_cell"])
def test_a_partly_matching_baseline_is_a_one_line_error(change):
    base = _frame(tau=_noise(0))
    cur = base.copy()
    if change == "drop_cell":
        base = base.iloc[1:]
    else:
        extra = base.iloc[[0]].assign(seed=99)
        base = pd.concat([base, extra])
    with pytest.raises(ValueError, match="does not match the suite's cells") as err:
        check.compare(base, cur)
    assert "\n" not in str(err.value) and "ishigami" in str(err.value)


def test_holm_matches_the_step_down_procedure():
    rng = np.random.default_rng(3)
    for _ in range(50):
        p = rng.uniform(0, 0.1, rng.integers(1, 12))
        adjusted = check.holm(p)
        for alpha in (0.01, 0.05):
            order = np.argsort(p)
            rejected = set()
            for i, j in enumerate(order):  # Holm (1979): stop at the first non-rejection
                if p[j] > alpha / (p.size - i):
                    break
                rejected.add(j)
            assert {j for j in range(p.size) if adjusted[j] <= alpha} == rejected


def test_judge_without_any_difference():
    out = check.judge(np.zeros(12))
    assert out["p_worse"] == out["p_better"] == 1.0 and out["mean"] == 0.0 and out["nonzero"] == 0


def test_text_and_markdown_name_the_regression():
    base = _frame(tau=_noise(0))
    worse = _frame(version="2", tau=lambda p, b, s: -0.5)
    cmp = check.compare(base, worse)
    text = check.format_text(cmp, "t")
    md = check.format_markdown(cmp, "t")
    for out in (text, md):
        assert "regression" in out and "est" in out and "FAILED" in out
    assert md.count("\n| ") >= 2 and "<details>" in md


# -- baseline files ------------------------------------------------------------------------------
def test_baseline_round_trip_and_atomic_write(tmp_path):
    base = _frame(tau=_noise(0), suite="ci")
    path = check.write_baseline(tmp_path / "b.csv", base)
    back = check.read_baseline(path, "ci")
    assert not check.compare(base, back).failed
    assert set(check.compare(base, back).rows["status"]) == {"identical"}
    assert [p.name for p in tmp_path.iterdir()] == ["b.csv"]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # a file to commit, readable by all


@pytest.mark.parametrize("content, message", [
    (b"\x00\x01garbage\xff\xfe\n\x00", "not a"),
    (b"", "not a readable CSV"),
    (b"a,b\n1,2\n", "column(s)"),
    (b"suite,problem\n\"unterminated,1\n", "not a"),
])
def test_corrupt_baselines_give_one_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        check.read_baseline(path, "ci")
    assert "\n" not in str(err.value) and "bad.csv" in str(err.value)


def test_baseline_of_another_suite_or_with_duplicates(tmp_path):
    path = check.write_baseline(tmp_path / "b.csv", _frame(tau=_noise(0), suite="quick"))
    with pytest.raises(ValueError, match=r"suite\(s\) \['quick'\], not 'ci'"):
        check.read_baseline(path, "ci")
    dup = _frame(tau=_noise(0), suite="ci")
    path = check.write_baseline(tmp_path / "d.csv", pd.concat([dup, dup.iloc[[3]]]))
    with pytest.raises(ValueError, match="twice"):
        check.read_baseline(path, "ci")
    with pytest.raises(ValueError, match="no baseline at .*--update"):
        check.read_baseline(tmp_path / "none.csv", "ci")


# -- the command, with the plug-in in several releases -------------------------------------------
TINY = """name = "tiny"
budgets = [512]
seeds = 10
problems = ["sobol_g", "ishigami"]
estimators = ["sobol"]
"""


def _plugin_env(tmp_path, release: str) -> dict:
    """Environment whose Python sees the test plug-in with ``testplugin.sobol`` = ``release``."""
    site = tmp_path / f"site-{release}"
    dist = site / "benchsens_testplugin-1.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: benchsens-testplugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[benchsens.estimators]\ntestplugin.sobol = benchsens_testplugin:{release}\n")
    path = os.pathsep.join([str(site), str(PLUGIN_SRC), os.environ.get("PYTHONPATH", "")])
    return dict(os.environ, PYTHONPATH=path.rstrip(os.pathsep))


def _check(tmp_path, env, *args):
    cmd = [sys.executable, "-m", "benchsens.cli", "check", "--suite", str(tmp_path / "tiny.toml"),
           "--workers", "1", *args]
    return subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def plugin_baseline(tmp_path_factory):
    """The plug-in's first release recorded as its own baseline ``theirs.csv``."""
    tmp = tmp_path_factory.mktemp("plugin")
    (tmp / "tiny.toml").write_text(TINY)
    env = _plugin_env(tmp, "Sobol1")
    found = subprocess.run([sys.executable, "-c", "from importlib.metadata import entry_points; "
                            "print([e.value for e in entry_points(group='benchsens.estimators')])"],
                           env=env, capture_output=True, text=True, check=True).stdout
    assert "benchsens_testplugin:Sobol1" in found
    out = _check(tmp, env, "--estimator", "testplugin.sobol", "--baseline", "theirs.csv", "--update")
    assert out.returncode == 0, out.stderr
    assert "recorded a new baseline" in out.stdout
    assert set(pd.read_csv(tmp / "theirs.csv")["estimator"]) == {"testplugin.sobol"}
    return tmp


@pytest.mark.parametrize("release, code, expect", [
    ("Sobol1", 0, "identical"),            # unchanged: same keys, same scores
    ("SobolCopy", 0, "unchanged"),         # same formula, new version: new random streams
    ("BiasedSobol", 1, "regression"),      # a real regression under a new version
    ("HalfBudgetSobol", 1, "regression"),  # spends half its budget: the value error grows
    ("BiasedSobolSameVersion", 1, "scores changed without a new version"),
])
def test_plugin_releases(plugin_baseline, release, code, expect):
    out = _check(plugin_baseline, _plugin_env(plugin_baseline, release),
                 "--estimator", "testplugin.sobol", "--baseline", "theirs.csv")
    assert out.returncode == code, out.stdout + out.stderr
    assert expect in out.stdout
    if code:
        assert "FAILED" in out.stdout
        line = next(l for l in out.stdout.splitlines() if l.startswith("regression"))
        assert "testplugin.sobol" in line


def test_bad_baselines_from_the_command_line(plugin_baseline):
    (plugin_baseline / "broken.csv").write_bytes(b"\x00\xff not,a\nbaseline")
    out = _check(plugin_baseline, _plugin_env(plugin_baseline, "Sobol1"), "--baseline", "broken.csv")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("benchsens: error: baseline 'broken.csv'") and out.stderr.count("\n") == 1


def test_a_baseline_that_does_not_fit_is_refused_before_running(plugin_baseline, tmp_path):
    """Missing or extra cells and another suite: one line, raised before any sweep runs
    (the plug-in's rows renamed to the tiny suite's own ``sobol``, so no plug-in is needed)."""
    theirs = pd.read_csv(plugin_baseline / "theirs.csv", dtype=str).assign(estimator="sobol")
    cases = {"short.csv": (theirs.iloc[1:], "1 suite cell(s) not in the baseline"),
             "long.csv": (pd.concat([theirs, theirs.iloc[[0]].assign(seed="99")]),
                          "1 baseline cell(s) not in the suite"),
             "other.csv": (theirs.assign(suite="ci"), "recorded for suite(s) ['ci'], not 'tiny'")}
    for name, (frame, message) in cases.items():
        frame.to_csv(tmp_path / name, index=False)
        with pytest.raises(ValueError) as err:
            check.run_check(suite=str(plugin_baseline / "tiny.toml"), baseline=tmp_path / name,
                            store=tmp_path / "never.sqlite")
        assert message in str(err.value) and "\n" not in str(err.value)
        assert not (tmp_path / "never.sqlite").exists()


def test_unchanged_tree_passes_five_runs_in_a_row(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY.replace("seeds = 10", "seeds = 2"))
    assert check.run_check(suite=str(tmp_path / "tiny.toml"), baseline=tmp_path / "b.csv", update=True,
                           workers=1, out=open(os.devnull, "w")) == 0
    for _ in range(5):
        path = tmp_path / "out.txt"
        with open(path, "w") as fh:
            status = check.run_check(suite=str(tmp_path / "tiny.toml"), baseline=tmp_path / "b.csv",
                                     workers=1, out=fh)
        assert status == 0 and "1 identical" in path.read_text()


def test_update_says_what_changed_and_then_the_check_is_identical(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY.replace("seeds = 10", "seeds = 2"))
    suite, path = str(tmp_path / "tiny.toml"), tmp_path / "b.csv"
    with open(os.devnull, "w") as null:
        assert check.run_check(suite=suite, baseline=path, update=True, workers=1, out=null) == 0
    edited = pd.read_csv(path)
    edited.loc[edited["problem"] == "sobol_g", "weighted_tau"] += 0.25  # a baseline the code no longer matches
    edited.to_csv(path, index=False)
    report = tmp_path / "update.txt"
    with open(report, "w") as fh:
        assert check.run_check(suite=suite, baseline=path, update=True, workers=1, out=fh) == 0
    text = report.read_text()
    assert "changed, same version" in text and "sobol_g" in text
    assert "updated baseline" in text and "1 changed, same version" in text and "1 identical" in text
    with open(report, "w") as fh:
        assert check.run_check(suite=suite, baseline=path, workers=1, out=fh) == 0
    assert "2 rows identical" in report.read_text()


def test_a_grown_value_error_is_a_regression_even_with_the_same_ranking():
    tau = _noise(0)
    base = _frame(tau=tau, seeds=range(10))
    rng = np.random.default_rng(5)
    base["mae_total"] = rng.uniform(0.02, 0.05, len(base))
    cur = _frame(version="2", tau=tau, seeds=range(10))
    cur["mae_total"] = base["mae_total"] * rng.uniform(1.3, 1.6, len(base))  # errors grow ~1.45x
    cmp = check.compare(base, cur)
    g = cmp.groups.iloc[0]
    ratio = cur["mae_total"].to_numpy() / base["mae_total"].to_numpy()
    assert g["err_mean"] == pytest.approx(np.log(ratio).mean()) and g["mean"] == 0.0
    assert g["verdict"] == "regression"
    cur["mae_total"] = base["mae_total"] * rng.uniform(1.0, 1.2, len(base))  # real but below MIN_ERROR_RATIO
    assert check.compare(base, cur).groups.iloc[0]["verdict"] == "unchanged"


def test_update_of_one_estimator_keeps_the_other_rows(tmp_path):
    (tmp_path / "two.toml").write_text(TINY.replace("seeds = 10", "seeds = 2")
                                       .replace('["sobol"]', '["sobol", "rank_s1"]'))
    suite, path = str(tmp_path / "two.toml"), tmp_path / "b.csv"
    with open(os.devnull, "w") as null:
        assert check.run_check(suite=suite, baseline=path, update=True, workers=1, out=null) == 0
        before = pd.read_csv(path)
        marked = before.assign(weighted_tau=np.where(before["estimator"] == "rank_s1", -1.0, before["weighted_tau"]))
        marked.to_csv(path, index=False)
        assert check.run_check(suite=suite, baseline=path, update=True, estimators=["sobol"],
                               workers=1, out=null) == 0
    after = pd.read_csv(path)
    assert len(after) == len(before)
    assert (after.loc[after["estimator"] == "rank_s1", "weighted_tau"] == -1.0).all()  # untouched
    key = ["problem", "seed", "estimator"]
    pd.testing.assert_frame_equal(after[after["estimator"] == "sobol"].sort_values(key).reset_index(drop=True),
                                  before[before["estimator"] == "sobol"].sort_values(key).reset_index(drop=True))
