"""SVC on digits with a conditional space: kernel x C x gamma (rbf, poly) x degree (poly).

gamma is active only for the rbf and poly kernels, degree only for poly: each distinct active
configuration is fitted once and copied along its inactive parameters (set to the default's
value when fitted), so the table is a full product grid on which an inactive parameter has
exactly no effect. Loss: classification error on the held-out fold of a stratified 5-fold CV
(one replicate per fold), same data and folds as ``svc_digits``.
Run: ``python problems/svc_digits_kernels/recipe.py`` (``--memory``: only the memory pass).
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


def recipe(out_dir=Path(__file__).resolve().parent):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixels in [0, 1]
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(X, y))
    axes = [
        ("kernel", "categorical", ["linear", "rbf", "poly"]),
        ("C", "ordinal", decades(-2, 3)),
        ("gamma", "ordinal", decades(-4, 1)),
        ("degree", "ordinal", [2, 3, 4]),
    ]
    conditions = {"gamma": ("kernel", ["rbf", "poly"]), "degree": ("kernel", ["poly"])}

    def make_model(config, seed):
        return SVC(kernel=config["kernel"], C=config["C"], gamma=config["gamma"],
                   degree=int(config["degree"]), cache_size=500)

    def loss(model, X_test, y_test):
        return float(np.mean(model.predict(X_test) != y_test))

    # gamma='scale' would be 1 / (64 * X.var()) ~ 0.08; the nearest level (log scale) is 0.1
    default = {"kernel": "rbf", "C": 1.0, "gamma": 0.1, "degree": 3}
    return dict(
        out_dir=out_dir, axes=axes, default=default, make_model=make_model, loss=loss, X=X, y=y,
        splits=folds, replicate_of_split=np.arange(5), seed_of_split=[0] * 5, conditions=conditions,
        meta=dict(
            name=out_dir.name,
            dataset="digits (sklearn.datasets.load_digits, 1797 x 64, 10 classes), pixels / 16",
            model="sklearn.svm.SVC(cache_size=500), coef0=0",
            metric="classification error (1 - accuracy) on the held-out fold",
            direction="minimize",
            cv="StratifiedKFold(n_splits=5, shuffle=True, random_state=0)",
            replicate="fold",
            seeds=[0],
            default_note="sklearn defaults (rbf, C=1, degree=3); gamma='scale' (~0.08 here) mapped to the nearest level",
            conditions_note="an inactive parameter was fitted at the default's value and its row copied to every level of it",
            licence="data: UCI ML hand-written digits (CC BY 4.0), via scikit-learn (BSD-3-Clause)",
        ),
    )


if __name__ == "__main__":
    run(recipe)
