"""Our real response surfaces, shipped as the package ``benchsens.grids``.

One folder per surface: ``table.csv`` (every configuration of a full grid, with the loss of
each replicate and the fit seconds), ``meta.toml`` (data set, model, metric, axes and levels,
default configuration, CV scheme, seeds, library versions, build time) and ``recipe.py``, which
regenerates both offline from scikit-learn's bundled data: ``python problems/<name>/recipe.py``.
``benchsens/grids`` is a symbolic link to this folder, so setuptools packages it inside
``benchsens`` and :func:`importlib.resources.files("benchsens.grids")` finds it both in an
editable install and in a wheel.
"""
