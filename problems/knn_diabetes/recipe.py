"""k-nearest-neighbour regression on diabetes: n_neighbors x weights x p (Minkowski power).

A cheap sanity surface (36 configurations). Loss: mean squared error on the held-out fold of
a 5-fold CV repeated 4 times (one replicate per fold).
Run: ``python problems/knn_diabetes/recipe.py`` (``--memory``: only the memory pass).
"""
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import RepeatedKFold
from sklearn.neighbors import KNeighborsRegressor

sys.dont_write_bytecode = True  # keep the shipped folder free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _recipe import run  # noqa: E402

N_SPLITS, N_REPEATS = 5, 4


def recipe(out_dir=Path(__file__).resolve().parent):
    X, y = load_diabetes(return_X_y=True)
    splits = list(RepeatedKFold(n_splits=N_SPLITS, n_repeats=N_REPEATS, random_state=0).split(X))
    axes = [
        ("n_neighbors", "ordinal", [1, 2, 3, 5, 8, 13, 21, 34, 55]),
        ("weights", "categorical", ["uniform", "distance"]),
        ("p", "ordinal", [1, 2]),
    ]

    def make_model(config, seed):
        return KNeighborsRegressor(n_neighbors=int(config["n_neighbors"]), weights=config["weights"],
                                   p=int(config["p"]))

    def loss(model, X_test, y_test):
        return float(np.mean((model.predict(X_test) - y_test) ** 2))

    default = {"n_neighbors": 5, "weights": "uniform", "p": 2}
    return dict(
        out_dir=out_dir, axes=axes, default=default, make_model=make_model, loss=loss, X=X, y=y,
        splits=splits, replicate_of_split=np.arange(len(splits)),
        seed_of_split=np.repeat(np.arange(N_REPEATS), N_SPLITS).tolist(),
        meta=dict(
            name=out_dir.name,
            dataset="diabetes (sklearn.datasets.load_diabetes, 442 x 10, regression)",
            model="sklearn.neighbors.KNeighborsRegressor",
            metric="mean squared error on the held-out fold",
            direction="minimize",
            cv=f"RepeatedKFold(n_splits={N_SPLITS}, n_repeats={N_REPEATS}, random_state=0)",
            replicate="fold",
            seeds=list(range(N_REPEATS)),
            time_surface=False,
            time_surface_note="fitting a KNN only builds a search tree (< 1 ms): the recorded seconds are timer noise, and the real cost is in prediction",
            default_note="sklearn defaults (n_neighbors=5, weights='uniform', p=2)",
            licence="data: Efron et al. (2004) diabetes data, via scikit-learn (BSD-3-Clause)",
        ),
    )


if __name__ == "__main__":
    run(recipe)
