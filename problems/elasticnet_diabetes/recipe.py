"""Elastic net on diabetes: alpha (8 log levels) x l1_ratio x standardize x selection.

fit_intercept stays on. The bundled diabetes features are already centred and scaled to unit
norm, so standardising multiplies every feature by ~sqrt(n): the useful alpha range moves by
orders of magnitude, a strong alpha x standardize interaction. Loss: mean squared error on
the held-out fold of a 5-fold CV repeated twice (one replicate per fold; the repeat index
seeds ``selection='random'``).
Run: ``python problems/elasticnet_diabetes/recipe.py`` (``--memory``: only the memory pass).
"""
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet
from sklearn.model_selection import RepeatedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.dont_write_bytecode = True  # keep the shipped folder free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _recipe import decades, run  # noqa: E402

N_SPLITS, N_REPEATS = 5, 2


def recipe(out_dir=Path(__file__).resolve().parent):
    X, y = load_diabetes(return_X_y=True)
    splits = list(RepeatedKFold(n_splits=N_SPLITS, n_repeats=N_REPEATS, random_state=0).split(X))
    axes = [
        ("alpha", "ordinal", decades(-5, 2)),
        ("l1_ratio", "ordinal", [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0]),
        ("standardize", "categorical", ["false", "true"]),
        ("selection", "categorical", ["cyclic", "random"]),
    ]

    def make_model(config, seed):
        net = ElasticNet(alpha=config["alpha"], l1_ratio=config["l1_ratio"], fit_intercept=True,
                         selection=config["selection"], random_state=seed)
        return make_pipeline(StandardScaler(), net) if config["standardize"] == "true" else net

    def loss(model, X_test, y_test):
        return float(np.mean((model.predict(X_test) - y_test) ** 2))

    default = {"alpha": 1.0, "l1_ratio": 0.5, "standardize": "false", "selection": "cyclic"}
    return dict(
        out_dir=out_dir, axes=axes, default=default, make_model=make_model, loss=loss, X=X, y=y,
        splits=splits, replicate_of_split=np.arange(len(splits)),
        seed_of_split=np.repeat(np.arange(N_REPEATS), N_SPLITS).tolist(),
        meta=dict(
            name=out_dir.name,
            dataset="diabetes (sklearn.datasets.load_diabetes, 442 x 10, regression)",
            model="sklearn.linear_model.ElasticNet(fit_intercept=True), optionally after StandardScaler",
            metric="mean squared error on the held-out fold",
            direction="minimize",
            cv=f"RepeatedKFold(n_splits={N_SPLITS}, n_repeats={N_REPEATS}, random_state=0)",
            replicate="fold",
            seeds=list(range(N_REPEATS)),
            time_surface=False,
            time_surface_note="fits take ~2 ms, so the recorded seconds are dominated by timer noise (noise-to-signal > 1)",
            default_note="sklearn defaults (alpha=1, l1_ratio=0.5, selection='cyclic', no scaling)",
            licence="data: Efron et al. (2004) diabetes data, via scikit-learn (BSD-3-Clause)",
        ),
    )


if __name__ == "__main__":
    run(recipe)
