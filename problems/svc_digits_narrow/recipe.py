"""SVC (rbf) on digits on a narrower gamma range (half-decade steps from 10**-3.5 to 1).

Same model, folds and other axes as ``svc_digits``: the importance of gamma (and of its
interaction with C) depends on the grid, which this pair of surfaces shows.
Run: ``python problems/svc_digits_narrow/recipe.py`` (``--memory``: only the memory pass).
"""
import importlib.util
import sys
from pathlib import Path

import numpy as np

sys.dont_write_bytecode = True  # keep the shipped folder free of __pycache__
here = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("svc_digits_recipe", here.parent / "svc_digits" / "recipe.py")
wide = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wide)
from _recipe import run  # noqa: E402  (on the path once the wide recipe is loaded)


def recipe():
    return wide.recipe(gamma_levels=np.logspace(-3.5, 0, 8), out_dir=here)


if __name__ == "__main__":
    run(recipe)
