"""alpsim: fast generator and parametrized detector simulation for ALPs at e+e− colliders.

`alpsim.run(card, n=...)` runs a card from Python and returns a `RunResult` (events as an
Arrow table when nothing is written); the `alpsim` command is a thin layer over it.
"""

from . import numba_cache
from ._version import __version__

numba_cache.configure()  # before any compiled kernel is imported


def run(*args, **kwargs):
    """Run a card; see `alpsim.runner.run` (imported lazily to keep `import alpsim` fast)."""
    from .runner import run as _run

    return _run(*args, **kwargs)


__all__ = ["__version__", "run"]
