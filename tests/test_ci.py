"""`.ci/run` runs the README's quick-start commands, exactly as written and in order."""

import re

from .conftest import REPO


def test_ci_runs_the_readme_quick_start():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", readme, re.S)
    assert block is not None, "README.md has no ```bash block under '## Quick start'"
    commands = [ln.strip() for ln in block.group(1).splitlines() if ln.strip()]
    assert len(commands) == 2
    ci = [ln.strip() for ln in (REPO / ".ci" / "run").read_text().splitlines()]
    ci = [ln for ln in ci if ln and not ln.startswith("#")]
    assert ci[-2:] == commands
    assert "python -m pytest" in commands[1]
