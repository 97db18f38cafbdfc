"""SVC (rbf) on digits: C x gamma (8 log levels each) x class_weight x shrinking.

Loss: classification error on the held-out fold of a stratified 5-fold CV (one replicate per
fold). ``shrinking`` changes only the solver's heuristic, so it is an (almost) exact dummy for
the loss but not for the fit seconds.
Run: ``python problems/svc_digits/recipe.py`` (``--memory``: only the memory pass).
"""
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC

sys.dont_write_bytecode = True  # keep the shipped folder free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _recipe import decades, run  # noqa: E402

GAMMA = decades(-5, 2)  # one decade per level


def recipe(gamma_levels=GAMMA, out_dir=Path(__file__).resolve().parent):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixels in [0, 1]
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(X, y))
    axes = [
        ("C", "ordinal", decades(-2, 5)),
        ("gamma", "ordinal", [float(g) for g in gamma_levels]),
        ("class_weight", "categorical", ["none", "balanced"]),
        ("shrinking", "categorical", ["true", "false"]),
    ]

    def make_model(config, seed):
        return SVC(kernel="rbf", C=config["C"], gamma=config["gamma"],
                   class_weight=None if config["class_weight"] == "none" else "balanced",
                   shrinking=config["shrinking"] == "true", cache_size=500)

    def loss(model, X_test, y_test):
        return float(np.mean(model.predict(X_test) != y_test))

    # gamma='scale' would be 1 / (64 * X.var()) ~ 0.08; the nearest level is 0.1
    default = {"C": 1.0, "gamma": 0.1, "class_weight": "none", "shrinking": "true"}
    return dict(
        out_dir=out_dir, axes=axes, default=default, make_model=make_model, loss=loss, X=X, y=y,
        splits=folds, replicate_of_split=np.arange(5), seed_of_split=[0] * 5,
        meta=dict(
            name=out_dir.name,
            dataset="digits (sklearn.datasets.load_digits, 1797 x 64, 10 classes), pixels / 16",
            model="sklearn.svm.SVC(kernel='rbf', cache_size=500)",
            metric="classification error (1 - accuracy) on the held-out fold",
            direction="minimize",
            cv="StratifiedKFold(n_splits=5, shuffle=True, random_state=0)",
            replicate="fold",
            seeds=[0],
            default_note="sklearn defaults; gamma='scale' (~0.08 here) mapped to the nearest level",
            licence="data: UCI ML hand-written digits (CC BY 4.0), via scikit-learn (BSD-3-Clause)",
        ),
    )


if __name__ == "__main__":
    run(recipe)
