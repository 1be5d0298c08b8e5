"""A wheel built from the checkout installs into a fresh environment with every subpackage.

Editable installs resolve packages through the source tree, so a subpackage missing from the
explicit list in pyproject.toml would import there and still be absent from the wheel.
"""

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO


def _module_names() -> list[str]:
    names = ["alpsim", "alpsim.cards"]
    for top in ("generator", "detector"):
        for init in (REPO / top).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / top).parts
            names.append(".".join(("alpsim", top, *rel)))
    return sorted(set(names))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
    )
    (whl,) = out.glob("alpsim-*.whl")
    return whl


def test_wheel_contains_every_package_and_card(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for module in _module_names():
        assert module.replace(".", "/") + "/__init__.py" in names, module
    assert "alpsim/cards/belle2.toml" in names
    assert "alpsim/cards/belle2_b2ka_gg.toml" in names


def test_wheel_installs_and_runs_in_fresh_environment(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    code = (
        "import importlib, sys\n"
        f"mods = {_module_names()!r}\n"
        "for m in mods:\n"
        "    mod = importlib.import_module(m)\n"
        f"    assert mod.__file__.startswith({str(target)!r}), (m, mod.__file__)\n"
        "from alpsim.detector.config import shipped_card\n"
        "assert shipped_card('belle2').is_file()\n"
        "import alpsim\n"
        "r = alpsim.run(str(shipped_card('belle2_b2ka_gg')), n=100)\n"
        "assert r.events.num_rows == 100\n"
        "print('ok')\n"
    )
    # A clean interpreter that sees the wheel's files first and no source checkout.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["PYTHONPATH"] = str(target)
    res = subprocess.run(
        [str(python), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
