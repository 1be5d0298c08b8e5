"""alpsim validation against the literature (issue 10).

`python -m validation [--quick] [-o DIR]` runs every registered check (theory, kinematics,
detector, sensitivity) and writes DIR/report.md with PNG plots (default validation/report/).
Each check is a function whose docstring cites its source; it returns `Result` records with the
reference value, alpsim's value, the tolerance, the ratio alpsim/reference and pass/fail
(validation/report.py). The quick subset also runs as tests (tests/test_validation_quick.py).

The older single-purpose scripts of this folder (alp_model_curves.py, detector_checks.py,
meson_channels.py, direct_channels.py) still run on their own; the checks reuse their functions.
"""
