"""Random forest on wine: n_estimators x max_features x max_depth x min_samples_leaf x criterion.

Loss: multi-class Brier score (mean over samples of the squared distance between predicted
probabilities and the one-hot label; bounded, unlike log-loss with zero probabilities) on
held-out folds. One replicate is a whole stratified 3-fold CV run whose seed sets both the
split and the forest's random_state; 5 seeds, because one is too noisy.
Run: ``python problems/rf_wine/recipe.py`` (``--memory``: only the memory pass).
"""
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold

sys.dont_write_bytecode = True  # keep the shipped folder free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _recipe import run  # noqa: E402

N_SPLITS, SEEDS = 3, [0, 1, 2, 3, 4]


def recipe(out_dir=Path(__file__).resolve().parent):
    X, y = load_wine(return_X_y=True)
    splits, rep, seeds = [], [], []
    for r, seed in enumerate(SEEDS):
        for train, test in StratifiedKFold(N_SPLITS, shuffle=True, random_state=seed).split(X, y):
            splits.append((train, test))
            rep.append(r)
            seeds.append(seed)
    axes = [
        ("n_estimators", "ordinal", [10, 100]),
        ("max_features", "ordinal", [1, 3, 13]),
        ("max_depth", "ordinal", [1, 2, 4, 8]),
        ("min_samples_leaf", "ordinal", [1, 5, 20]),
        ("criterion", "categorical", ["gini", "entropy"]),
    ]

    def make_model(config, seed):
        return RandomForestClassifier(
            n_estimators=int(config["n_estimators"]), max_features=int(config["max_features"]),
            max_depth=int(config["max_depth"]), min_samples_leaf=int(config["min_samples_leaf"]),
            criterion=config["criterion"], random_state=seed, n_jobs=1)

    def loss(model, X_test, y_test):
        proba = model.predict_proba(X_test)
        onehot = (y_test[:, None] == model.classes_[None, :]).astype(float)
        return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))

    # sklearn: max_features='sqrt' -> int(sqrt(13)) = 3; max_depth=None -> 8 (fully grown trees
    # on ~119 training samples measured depth <= 7 here, so 8 is effectively unlimited)
    default = {"n_estimators": 100, "max_features": 3, "max_depth": 8, "min_samples_leaf": 1,
               "criterion": "gini"}
    return dict(
        out_dir=out_dir, axes=axes, default=default, make_model=make_model, loss=loss, X=X, y=y,
        splits=splits, replicate_of_split=rep, seed_of_split=seeds,
        meta=dict(
            name=out_dir.name,
            dataset="wine (sklearn.datasets.load_wine, 178 x 13, 3 classes)",
            model="sklearn.ensemble.RandomForestClassifier(n_jobs=1)",
            metric="multi-class Brier score on held-out folds, mean over the folds of one CV run",
            direction="minimize",
            cv=f"StratifiedKFold(n_splits={N_SPLITS}, shuffle=True, random_state=seed) for each seed",
            replicate="cv seed",
            seeds=SEEDS,
            default_note="sklearn defaults; max_features='sqrt' is 3, max_depth=None mapped to 8",
            licence="data: UCI wine (CC BY 4.0), via scikit-learn (BSD-3-Clause)",
        ),
    )


if __name__ == "__main__":
    run(recipe)
