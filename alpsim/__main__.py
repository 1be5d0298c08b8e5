"""`python -m alpsim` is the `alpsim` command."""

import sys

from .cli import main

sys.exit(main())
