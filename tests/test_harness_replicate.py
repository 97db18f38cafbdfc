"""Real grids' replicate noise through the harness (one recorded seed/fold per evaluation)."""
import numpy as np
import pytest

import benchsens as bs
from benchsens.harness import SpecError, expand, load_spec


def test_replicate_noise_runs_on_a_real_grid(tmp_path):
    spec = {"name": "rep", "budgets": [256], "seeds": 2, "noise": [0, "replicate"],
            "problems": ["svc_digits"], "estimators": ["sobol"]}
    df = bs.run_sweep(spec, store=tmp_path / "rep.sqlite", workers=1, progress=False, summary=False)
    assert set(df["status"]) == {"ok"} and len(df) == 4
    assert (df["noise"] == 0.0).all() and df["replicate"].dtype == bool  # typed columns
    clean = df[~df["replicate"]].sort_values("seed")
    noisy = df[df["replicate"]].sort_values("seed")
    assert len(clean) == len(noisy) == 2
    # the same design, but the outputs are single folds, not their mean
    assert not np.allclose(np.stack(clean["importance"].to_numpy()), np.stack(noisy["importance"].to_numpy()))


@pytest.mark.parametrize("spelling", [{"noise": ["replicate"]}, {"replicate": True}])
def test_replicate_noise_on_a_synthetic_problem_is_a_clear_error(spelling):
    spec = {"name": "rep", "budgets": [256], "seeds": 1, "problems": ["ishigami"], "estimators": ["sobol"],
            **spelling}
    with pytest.raises(SpecError, match="replicate' exists only on real grid problems"):
        expand(load_spec(spec))
