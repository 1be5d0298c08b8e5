"""Where numba keeps alpsim's compiled kernels: a per-user cache folder, never the package.

numba's ``cache=True`` writes ``.nbi``/``.nbc`` files into a ``__pycache__`` folder next to each
kernel's source. Inside site-packages those files are not in the wheel's RECORD, so ``pip
uninstall`` leaves ``alpsim/detector/__pycache__`` behind, and the left-over ``alpsim/`` folder then
imports as a namespace package that shadows a later editable install. The kernels are therefore
cached under the user cache directory (``platformdirs.user_cache_dir("alpsim")``, e.g.
``~/.cache/alpsim/numba`` on Linux, or ``$XDG_CACHE_HOME/alpsim/numba``). A ``NUMBA_CACHE_DIR`` set
by the user wins. numba keys its cache entries by the source file's path and time stamp, so an
editable checkout and an installed copy never share stale entries.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs


def default_cache_dir() -> Path:
    """The folder alpsim uses for numba's cache unless ``NUMBA_CACHE_DIR`` is set."""
    return Path(platformdirs.user_cache_dir("alpsim", appauthor=False)) / "numba"


def configure() -> Path:
    """Point numba's kernel cache at the user cache folder; return the folder in use.

    Called from ``alpsim/__init__.py`` before any kernel module is imported. Setting the
    environment variable also covers numba imported later and worker processes; if numba was
    already imported, its configuration is updated directly (numba reads ``config.CACHE_DIR``
    whenever a ``cache=True`` function is compiled).
    """
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if not chosen:
        chosen = str(default_cache_dir())
        os.environ["NUMBA_CACHE_DIR"] = chosen
    if "numba" in sys.modules:
        from numba.core import config

        if not config.CACHE_DIR:
            config.CACHE_DIR = chosen
    return Path(chosen)
