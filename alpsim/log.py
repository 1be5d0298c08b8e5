"""Logging set-up of the command line; the library only logs (logger names alpsim.*).

`import alpsim` attaches a NullHandler, so a library user sees nothing unless they configure
logging; the CLI shows warnings by default, info with -v, debug with -vv, errors only with -q.
"""

from __future__ import annotations

import logging
import sys


def configure(verbose: int = 0, quiet: bool = False) -> None:
    """Send alpsim's log records to stderr at the level the CLI flags ask for."""
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logger = logging.getLogger("alpsim")
    for h in list(logger.handlers):
        if getattr(h, "_alpsim_cli", False):
            logger.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("alpsim: %(levelname)s: %(message)s"))
    handler._alpsim_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logging.captureWarnings(False)
