"""Built-in problems. Each module registers its factories on import."""
from . import analytic, engineering, families, hplike, real  # noqa: F401
