"""Print the shell commands of README.md's "Quick start" code block, one per line (for .ci/run)."""

import re
import sys
from pathlib import Path

text = Path(sys.argv[1]).read_text(encoding="utf-8")
section = text.split("## Quick start", 1)[1]
block = re.search(r"```bash\n(.*?)```", section, re.S)
if block is None:
    sys.exit("README.md: no ```bash block under '## Quick start'")
for line in block.group(1).splitlines():
    if line.strip() and not line.lstrip().startswith("#"):
        print(line.strip())
