"""alpsim: fast generator and parametrized detector simulation for ALPs at e+e− colliders.

`alpsim.run(card, n=..., overrides={"alp.mass": 2.0})` runs a card from Python and returns a
`RunResult` (events as an Arrow table when nothing is written); `alpsim.read(path)` reads a
Parquet file or dataset directory back. The `alpsim` command is a thin layer over them. The
library logs through `logging` (logger "alpsim") and prints nothing.
"""

import logging

from . import numba_cache
from ._version import __version__

numba_cache.configure()  # before any compiled kernel is imported
logging.getLogger("alpsim").addHandler(logging.NullHandler())


def run(*args, **kwargs):
    """Run a card: run(card, n=None, seed=None, output=None, keep=None, progress=False,
    force=False, hepmc3=None, root=None, overrides=None) -> RunResult.

    `card` is a path or a RunCard; `n` and `seed` integers overriding the card's;
    `overrides` maps dotted card paths to values, e.g. {"alp.mass": 2.0, "alp.ctau": 10.0};
    `output` a .parquet file (`hepmc3`, `root`: extra formats), else the events are returned
    in memory (`RunResult.events`). Full description: `alpsim.runner.run` (imported lazily to
    keep `import alpsim` fast)."""
    from .runner import run as _run

    return _run(*args, **kwargs)


def read(path, allow_partial=False):
    """A Parquet file or dataset directory as an Arrow table; see `alpsim.dataset.read`
    (a partial dataset is refused unless allow_partial=True)."""
    from .dataset import read as _read

    return _read(path, allow_partial=allow_partial)


__all__ = ["__version__", "read", "run"]
