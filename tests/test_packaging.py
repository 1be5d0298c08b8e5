"""The wheel is complete and installs into a fresh environment the way a user installs it.

Editable installs resolve packages through the source tree, so a subpackage missing from the
explicit list in pyproject.toml would import there and still be absent from the wheel. The
install test builds a virtual environment of its own (no system site-packages, so it sees only
what pip resolved from the wheel's declared dependencies), runs a card there, checks that no
compiled-kernel cache landed inside the installed package, switches to an editable install and
back to the wheel, and imports the API from outside the checkout after every step.
"""

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

PACKAGE_FOLDERS = {"generator": "generator", "detector": "detector", "validation": "validation"}


def _module_names() -> list[str]:
    names = ["alpsim", "alpsim.cards"]
    for top, sub in PACKAGE_FOLDERS.items():
        for init in (REPO / top).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / top).parts
            names.append(".".join(("alpsim", sub, *rel)))
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
    assert "alpsim/validation/__main__.py" in names
    assert not [n for n in names if n.endswith((".nbi", ".nbc"))]


def _check_api(python: Path, cwd: Path, env: dict, expect_under: Path | None) -> None:
    """Import every subpackage and run 50 events through the API, from `cwd` (not the checkout)."""
    code = (
        "import importlib\n"
        f"mods = {_module_names()!r}\n"
        "for m in mods:\n"
        "    mod = importlib.import_module(m)\n"
        f"    under = {str(expect_under) if expect_under else None!r}\n"
        "    assert under is None or mod.__file__.startswith(under), (m, mod.__file__)\n"
        "import alpsim\n"
        "from alpsim.detector.config import shipped_card\n"
        "r = alpsim.run(str(shipped_card('belle2_b2ka_gg')), n=50)\n"
        "assert r.events.num_rows == 50\n"
        "print('ok', alpsim.__version__)\n"
    )
    res = subprocess.run(
        [str(python), "-c", code], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.startswith("ok ")


def _kernel_caches(site: Path) -> list[Path]:
    return [p for p in (site / "alpsim").rglob("*") if p.suffix in (".nbi", ".nbc")]


@pytest.mark.skipif(sys.platform != "linux", reason="venv layout checked on Linux")
def test_wheel_installs_runs_and_reinstalls_in_fresh_environment(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=False, with_pip=True)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NUMBA_CACHE_DIR")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # the user cache folder of this test
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    pip = [str(python), "-m", "pip", "install", "-q"]
    work = tmp_path / "elsewhere"  # outside the checkout
    work.mkdir()

    subprocess.run([*pip, str(wheel)], check=True, env=env, cwd=work)
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # the first README command, from outside the checkout: a card run by the console script
    run = subprocess.run(
        [
            str(env_dir / "bin" / "alpsim"),
            "run",
            str(REPO / "cards" / "belle2_b2ka_gg.toml"),
            "-n",
            "200",
            "--force",
            "--quiet",
        ],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert (work / "belle2_b2ka_gg.parquet").is_file()
    _check_api(python, work, env, site / "alpsim")
    assert not _kernel_caches(site), "numba cache files inside the installed package"
    assert list((tmp_path / "cache" / "alpsim" / "numba").rglob("*.nbi")), "no kernel cache"

    # switch to an editable install of the checkout (what the README's second command does)
    subprocess.run([*pip, "--no-deps", "-e", str(REPO)], check=True, env=env, cwd=work)
    assert not (site / "alpsim").exists(), "the wheel's files outlived the switch"
    _check_api(python, work, env, REPO)

    # and back to the wheel, then a plain reinstall over it
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True, env=env, cwd=work)
    subprocess.run(
        [*pip, "--no-deps", "--force-reinstall", str(wheel)], check=True, env=env, cwd=work
    )
    _check_api(python, work, env, site / "alpsim")
    res = subprocess.run(
        [str(env_dir / "bin" / "alpsim"), "validate", "--list"],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0 and "quick" in res.stdout, res.stderr[-2000:]
