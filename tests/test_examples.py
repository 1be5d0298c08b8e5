"""The example scripts of examples/ run as a user would run them, so they cannot rot.

Each script runs in a subprocess in a temporary folder with a small number of events; the
tests then check what it wrote against independent expectations (the ALP mass the card asks
for, efficiencies in [0, 1], the files the guide says it writes).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

EXAMPLES = REPO / "examples"


def run_example(name: str, cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_every_example_is_tested():
    tested = {"mass_scan.py", "lifetime_acceptance.py", "read_outputs.py", "hepmc3_downstream.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_mass_scan(tmp_path):
    run_example("mass_scan.py", tmp_path, "1000")
    with open(tmp_path / "mass_scan.csv") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["mass_GeV"]) for r in rows] == [0.2, 1.0, 2.0, 3.0, 4.0]
    for r in rows:
        mass, eff = float(r["mass_GeV"]), float(r["efficiency"])
        assert 0.0 < eff < 1.0
        # the di-photon peak sits at the card's ALP mass within a few resolutions
        assert abs(float(r["a_M_median"]) - mass) < 3.0 * float(r["a_M_width"])
        assert float(r["expected_events"]) > 0.0


def test_lifetime_acceptance(tmp_path):
    out = run_example("lifetime_acceptance.py", tmp_path, "2000")
    with open(tmp_path / "lifetime_acceptance.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 22
    effs = [float(r["efficiency"]) for r in rows]
    assert all(0.0 <= e <= 1.0 for e in effs)
    # a displaced-vertex selection (0.5 mm < a_dr < 1 m): nothing prompt, nothing beyond 1 m
    assert effs[0] < 0.05 and effs[-1] < 0.05 and max(effs) > 0.3
    assert (tmp_path / "lifetime_acceptance.png").stat().st_size > 0
    # mean lifetime weight is 1 (importance-sampling identity) below 2 cτ0
    weights = [float(line.split()[1]) for line in out.splitlines()[1:6]]
    assert weights == pytest.approx([1.0] * 5, abs=0.1)


def test_read_outputs_then_hepmc3_downstream(tmp_path):
    out = run_example("read_outputs.py", tmp_path, "500")
    for name in ("sample.parquet", "sample.hepmc3", "sample.root"):
        assert (tmp_path / name).stat().st_size > 0
    for tool in ("pandas", "polars", "awkward", "uproot", "metadata"):
        assert tool in out
    assert "truth photons per event, mean 2.00" in out  # B+ -> K+ a, a -> gamma gamma
    out = run_example("hepmc3_downstream.py", tmp_path)
    assert "500 ALPs read" in out
    max_dm = float(out.split("max |m - m_a| = ")[1].split()[0])
    assert max_dm < 1e-6
