"""MLP on digits: log learning rate x log alpha x width x activation x batch size.

One hidden layer, Adam, a fixed budget of MAX_EPOCHS epochs (no early stopping), so the
learning rate decides most of the outcome, alone and through its interactions with batch
size (steps per epoch) and width. Loss: classification error on the held-out fold of a
stratified 3-fold CV (one replicate per fold; the fold index also seeds the weights).
Run: ``python problems/mlp_digits/recipe.py`` (``--memory``: only the memory pass).
"""
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier

sys.dont_write_bytecode = True  # keep the shipped folder free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _recipe import run  # noqa: E402

N_SPLITS, MAX_EPOCHS = 3, 10


def recipe(out_dir=Path(__file__).resolve().parent):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    folds = list(StratifiedKFold(n_splits=N_SPLITS, shuffle=True, random_state=0).split(X, y))
    axes = [
        ("learning_rate_init", "ordinal", [1e-4, 1e-3, 1e-2, 1e-1, 1.0]),
        ("alpha", "ordinal", [1e-4, 1e-2, 1.0]),
        ("width", "ordinal", [16, 64, 256]),
        ("activation", "categorical", ["relu", "tanh"]),
        ("batch_size", "ordinal", [16, 32, 64, 128, 256]),
    ]

    def make_model(config, seed):
        return MLPClassifier(
            hidden_layer_sizes=(int(config["width"]),), activation=config["activation"],
            solver="adam", alpha=config["alpha"], batch_size=int(config["batch_size"]),
            learning_rate_init=config["learning_rate_init"], max_iter=MAX_EPOCHS,
            n_iter_no_change=MAX_EPOCHS + 1, random_state=seed)

    def loss(model, X_test, y_test):
        return float(np.mean(model.predict(X_test) != y_test))

    # sklearn's width 100 and batch min(200, n) are not levels: nearest in log scale
    default = {"learning_rate_init": 1e-3, "alpha": 1e-4, "width": 64, "activation": "relu",
               "batch_size": 256}
    return dict(
        out_dir=out_dir, axes=axes, default=default, make_model=make_model, loss=loss, X=X, y=y,
        splits=folds, replicate_of_split=np.arange(N_SPLITS), seed_of_split=list(range(N_SPLITS)),
        meta=dict(
            name=out_dir.name,
            dataset="digits (sklearn.datasets.load_digits, 1797 x 64, 10 classes), pixels / 16",
            model=f"sklearn.neural_network.MLPClassifier(one hidden layer, solver='adam', max_iter={MAX_EPOCHS})",
            metric="classification error (1 - accuracy) on the held-out fold",
            direction="minimize",
            cv=f"StratifiedKFold(n_splits={N_SPLITS}, shuffle=True, random_state=0)",
            replicate="fold",
            seeds=list(range(N_SPLITS)),
            default_note="sklearn defaults (lr 1e-3, alpha 1e-4, relu); 100 units and batch 200 mapped to the nearest levels (log scale) 64 and 256",
            licence="data: UCI ML hand-written digits (CC BY 4.0), via scikit-learn (BSD-3-Clause)",
        ),
    )


if __name__ == "__main__":
    run(recipe)
