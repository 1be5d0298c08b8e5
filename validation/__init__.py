"""alpsim validation against the literature (issue 10).

`python -m validation [--quick] [-o DIR]` runs every registered check (theory, kinematics,
detector, sensitivity) and writes DIR/report.md with PNG plots (default validation/report/).
Each check is a function whose docstring cites its source; it returns `Result` records with the
reference value, alpsim's value, the tolerance, the ratio alpsim/reference and pass/fail
(validation/report.py). The quick subset also runs as tests (tests/test_validation_quick.py).

Layout: a `checks_<topic>.py` module registers the checks of one topic; the other modules hold
what the checks share, named for it: detector_samples.py (B → K a samples through a detector),
alp_model_curves.py (benchmark couplings), meson_channels.py (meson-channel samples),
alpaca_compare.py (the side-by-side comparison with ALPaca), report.py (registry and report).
meson_channels.py and direct_channels.py also run on their own as scripts.
"""
