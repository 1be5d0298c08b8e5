"""The quick subset of the validation suite (validation/, issue 10) as tests: every quick check
must run without error and every judged comparison must pass. Also checks that the comparison
helpers can fail and that the report is written."""

from __future__ import annotations

import math

import matplotlib  # noqa: F401  (a test extra; the report draws plots)
import pytest

from alpsim.validation.__main__ import load_checks, main
from alpsim.validation.report import (
    ERROR,
    FAIL,
    INFO,
    PASS,
    compare_abs,
    compare_band,
    compare_rel,
    run_check,
)

SPECS = load_checks()
QUICK = sorted(name for name, spec in SPECS.items() if spec.quick)


@pytest.mark.parametrize("name", QUICK)
def test_quick_check_passes(name, tmp_path):
    run = run_check(SPECS[name], tmp_path, quick=True)
    assert run.error is None, run.error
    assert run.results, "a check must compare something"
    bad = [r for r in run.results if r.status in (FAIL, ERROR)]
    assert not bad, "; ".join(f"{r.quantity}: {r.value} vs {r.reference} ({r.note})" for r in bad)
    for fig in run.figures:
        assert (tmp_path / fig).stat().st_size > 0


# Names a published source: a journal, arXiv, the PDG or a basf2 file.
SOURCE_TAGS = ("PRL", "PRD", "PLB", "JHEP", "PTEP", "NIM", "arXiv", "PDG", "basf2")
# The project's planning notes, spelled in two pieces so that this file does not cite them.
PLANNING_NOTES = ("DESIGN" + ".md", "REFERENCES" + ".md")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_check_cites_a_source(name):
    """A check's docstring names a published source and never the planning notes."""
    doc = SPECS[name].doc
    assert len(doc) > 80, name
    assert any(tag in doc for tag in SOURCE_TAGS), name
    assert not any(n in doc for n in PLANNING_NOTES), name


def test_comparisons_can_fail():
    assert compare_rel("x", 1.01, 1.0, 0.005).status == FAIL
    assert compare_rel("x", 1.004, 1.0, 0.005).status == PASS
    assert compare_rel("x", math.nan, 1.0, 0.5).status == FAIL
    assert compare_rel("x", 2.0, 1.0, 0.1, judged=False).status == INFO
    assert compare_abs("x", 0.02, 0.0, 0.015).status == FAIL
    assert compare_band("x", 20.0, 8.0, 14.0, 0.25).status == FAIL
    assert compare_band("x", 7.0, 8.0, 14.0, 0.25).status == PASS


def test_report_written(tmp_path):
    assert main(["--only", "alp_widths,jpsi_and_gamma_a", "-o", str(tmp_path), "-j", "1"]) == 0
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "alp_widths" in text and "| quantity | reference | alpsim |" in text
    assert "(0 of the PASS/FAIL rows are self-consistency checks" in text
    assert "; 0 are calibration rows" in text


def test_self_consistency_rows_are_recognised():
    row = compare_rel("σ_E/E at 1 GeV (self-consistency)", 1.0, 1.0, 0.1)
    assert row.self_consistency and row.status == PASS
    assert compare_rel("x", 1.0, 1.0, 0.1, note="self-consistency: card σ").self_consistency
    assert not compare_rel("Γ(a→γγ)", 1.0, 1.0, 0.1, source="JHEP 12 (2017) 044").self_consistency
    assert compare_abs("[calibration] relative efficiency", 0.5, 0.5, 0.06).calibration
    assert not compare_abs("relative efficiency", 0.5, 0.5, 0.06).calibration


FULL = sorted(name for name, spec in SPECS.items() if not spec.quick)


@pytest.mark.slow
@pytest.mark.parametrize("name", FULL)
def test_full_check_runs_without_error(name, tmp_path):
    """The full checks run (on their quick sample sizes) without raising: a check that breaks
    with the code it validates must not wait for the next report to be noticed."""
    run = run_check(SPECS[name], tmp_path, quick=True)
    assert run.error is None, run.error
    assert all(r.status != ERROR for r in run.results)


def test_babar_gaw_envelope_from_belle_abstract():
    """Belle JHEP 12 (2025) 109 abstract: limits 3e-6 to 3e-5 GeV⁻¹, a factor of two below the
    previous best (BaBar): BaBar's g_aW limits are judged inside 3e-6 to 6e-5 GeV⁻¹."""
    from alpsim.validation.checks_sensitivity import BABAR_GAW_ENVELOPE

    assert BABAR_GAW_ENVELOPE == pytest.approx((3e-6, 6e-5))
    assert compare_band("g", 7e-5, *BABAR_GAW_ENVELOPE, 0.0).status == FAIL
