"""Check registry, result record and Markdown writer of the validation report.

A check is a function `f(ctx: Context) -> list[Result]` registered with `@check(section,
quick=...)`; its docstring names the source of every reference value (paper, equation, table or
figure; tags: [paper] read in the source, [calc] the source's formula evaluated by hand, [code]
checked in a public implementation, [digi] read off a published figure, [unverified] not read
in the source).

Result status:
- PASS / FAIL: |alpsim/reference − 1| within the stated relative tolerance (or inside a band).
  A row whose reference is the detector card's own input (the simulation reproducing what it
  was given) says "self-consistency" in its quantity or note: it tests the code, not the
  physics, and the report counts such rows apart; likewise a row whose reference was used
  to choose a card number says "[calibration]" (it shows the choice holds, not a prediction);
- INFO: shown with its ratio but not judged, because the reference is [unverified] or there is
  no published number to compare with (an [unverified] number is never a pass/fail test),
  with one exception: a figure that an issue states as an acceptance requirement, with the
  paper it attributes it to, is judged against that requirement and its source says
  "[requirement: issue N]" (the paper's own text not read here);
- ERROR: the check raised; the report keeps the traceback's last line.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import math
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PASS, FAIL, INFO, ERROR = "PASS", "FAIL", "INFO", "ERROR"


@dataclass
class Result:
    """One comparison: a reference value, alpsim's value, the tolerance and the verdict."""

    quantity: str
    value: float
    reference: float | tuple[float, float] | None
    tolerance: str
    status: str
    unit: str = ""
    source: str = ""
    note: str = ""
    ratio: float | None = None
    check: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def self_consistency(self) -> bool:
        """The reference is the card's own input (module docstring)."""
        return "self-consistency" in f"{self.quantity} {self.note}".lower()

    @property
    def calibration(self) -> bool:
        """A card number was chosen with this row's reference (module docstring)."""
        return "[calibration]" in self.quantity


def _ratio(value: float, ref: float) -> float | None:
    if ref == 0 or not (math.isfinite(value) and math.isfinite(ref)):
        return None
    return value / ref


def _status(ok: bool, judged: bool) -> str:
    """PASS or FAIL for a judged comparison; INFO when the reference is not judged."""
    return (PASS if ok else FAIL) if judged else INFO


def compare_rel(
    quantity: str,
    value: float,
    ref: float,
    rel_tol: float,
    *,
    unit: str = "",
    source: str = "",
    note: str = "",
    judged: bool = True,
) -> Result:
    """PASS if |value/ref − 1| ≤ rel_tol. `judged=False` makes it INFO (unverified reference)."""
    r = _ratio(value, ref)
    status = _status(r is not None and abs(r - 1.0) <= rel_tol, judged)
    tol = f"±{rel_tol * 100:.3g} %"
    return Result(quantity, float(value), float(ref), tol, status, unit, source, note, r)


def compare_abs(
    quantity: str,
    value: float,
    ref: float,
    abs_tol: float,
    *,
    unit: str = "",
    source: str = "",
    note: str = "",
    judged: bool = True,
) -> Result:
    """PASS if |value − ref| ≤ abs_tol (for references near zero, e.g. ΔE peak)."""
    status = _status(math.isfinite(value) and abs(value - ref) <= abs_tol, judged)
    tol = f"±{abs_tol:.3g} {unit}".strip()
    return Result(
        quantity, float(value), float(ref), tol, status, unit, source, note, _ratio(value, ref)
    )


def compare_band(
    quantity: str,
    value: float,
    lo: float,
    hi: float,
    margin: float,
    *,
    unit: str = "",
    source: str = "",
    note: str = "",
    judged: bool = True,
) -> Result:
    """PASS if lo·(1 − margin) ≤ value ≤ hi·(1 + margin); ratio to the band's midpoint."""
    status = _status(
        math.isfinite(value) and lo * (1 - margin) <= value <= hi * (1 + margin), judged
    )
    tol = f"band {lo:g}–{hi:g} {unit} ±{margin * 100:.0f} %".replace("  ", " ")
    mid = 0.5 * (lo + hi)
    return Result(
        quantity, float(value), (lo, hi), tol, status, unit, source, note, _ratio(value, mid)
    )


def info(
    quantity: str,
    value: float,
    *,
    reference: float | None = None,
    unit: str = "",
    source: str = "",
    note: str = "",
) -> Result:
    """A number shown without a verdict (no verified reference)."""
    r = _ratio(value, reference) if reference is not None else None
    return Result(quantity, float(value), reference, "—", INFO, unit, source, note, r)


@dataclass
class Context:
    """What a check may use: the output folder for plots and the quick/full switch."""

    out_dir: Path
    quick: bool = False
    figures: list[str] = field(default_factory=list)

    def events(self, quick: int, full: int) -> int:
        """Sample size for this mode."""
        return quick if self.quick else full

    def savefig(self, fig, name: str) -> str:
        """Save a matplotlib figure as out_dir/name (PNG) and remember it for the report."""
        import matplotlib.pyplot as plt

        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / name
        fig.savefig(path, dpi=90)
        plt.close(fig)
        self.figures.append(name)
        return name


@dataclass
class CheckSpec:
    name: str
    section: str
    quick: bool
    func: Callable[[Context], list[Result]]

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")


REGISTRY: dict[str, CheckSpec] = {}
SECTIONS = ("theory", "kinematics", "detector", "calorimeter", "sensitivity")


def check(section: str, quick: bool = False):
    """Register a check function under `section` (one of SECTIONS); `quick`: in the CI subset."""
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}")

    def deco(func: Callable[[Context], list[Result]]):
        if not (func.__doc__ or "").strip():
            raise ValueError(f"check {func.__name__} has no docstring citing its source")
        REGISTRY[func.__name__] = CheckSpec(func.__name__, section, quick, func)
        return func

    return deco


@dataclass
class CheckRun:
    """A check's results, its figures and how long it took."""

    name: str
    results: list[Result]
    figures: list[str]
    seconds: float
    error: str | None = None


def run_check(spec: CheckSpec, out_dir: Path, quick: bool) -> CheckRun:
    """Run one check; an exception becomes an ERROR result (the report still gets written)."""
    import time

    ctx = Context(out_dir, quick)
    t0 = time.perf_counter()
    try:
        results = spec.func(ctx)
        error = None
    except Exception as exc:  # reported in the report, not hidden
        results = [Result("check raised", math.nan, None, "—", ERROR, note=repr(exc)[:300])]
        error = repr(exc)
    for r in results:
        r.check = spec.name
    return CheckRun(spec.name, results, list(ctx.figures), time.perf_counter() - t0, error)


# ---- Markdown -----------------------------------------------------------------------------
def fmt(x: float | tuple[float, float] | None) -> str:
    """Compact number formatting for the tables."""
    if x is None:
        return "—"
    if isinstance(x, tuple):
        return f"{fmt(x[0])}–{fmt(x[1])}"
    if not math.isfinite(x):
        return "nan"
    if x == 0:
        return "0"
    a = abs(x)
    if 1e-3 <= a < 1e4:
        return f"{x:.4g}"
    return f"{x:.3e}"


def _status_cell(status: str) -> str:
    return {PASS: "✅ PASS", FAIL: "❌ FAIL", INFO: "ℹ️ INFO", ERROR: "💥 ERROR"}[status]


def _git_describe() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def results_table(results: list[Result]) -> list[str]:
    lines = [
        "| quantity | reference | alpsim | tolerance | alpsim/ref | status | source | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        unit = f" {r.unit}" if r.unit else ""
        lines.append(
            f"| {r.quantity} | {fmt(r.reference)}{unit if r.reference is not None else ''} "
            f"| {fmt(r.value)}{unit} | {r.tolerance} | {fmt(r.ratio)} "
            f"| {_status_cell(r.status)} | {r.source} | {r.note} |"
        )
    return lines


def write_report(
    runs: list[CheckRun], specs: dict[str, CheckSpec], out_dir: Path, quick: bool, seconds: float
) -> Path:
    """Write out_dir/report.md: summary, then one part per section and check."""
    from alpsim import __version__

    out_dir.mkdir(parents=True, exist_ok=True)
    all_results = [r for run in runs for r in run.results]
    counts = {s: sum(r.status == s for r in all_results) for s in (PASS, FAIL, INFO, ERROR)}
    n_self = sum(r.self_consistency and r.status in (PASS, FAIL) for r in all_results)
    n_cal = sum(r.calibration and r.status in (PASS, FAIL) for r in all_results)
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# alpsim validation report",
        "",
        f"alpsim {__version__}, commit {_git_describe()}, {now}; mode "
        f"{'quick' if quick else 'full'}; {len(runs)} checks in {seconds:.0f} s. "
        f"Regenerate with `python -m validation{' --quick' if quick else ''}`.",
        "",
        f"**{counts[PASS]} pass, {counts[FAIL]} fail, {counts[INFO]} info, "
        f"{counts[ERROR]} error** ({n_self} of the PASS/FAIL rows are self-consistency checks: "
        "the simulation reproducing its card input, a test of the code, not of the physics; "
        f"{n_cal} are calibration rows: a card number was chosen with their reference). "
        "INFO rows have no verified reference "
        "([unverified], or no published number found): shown, not judged. "
        "Tags: [paper] read in the source, [calc] computed from a formula with PDG inputs, "
        "[digi] read off a published figure by a third party (digitisation), [unverified], "
        "[requirement: issue N] a figure an issue states as its acceptance requirement, judged "
        "although the paper it cites was not read here.",
        "",
        "## Failures and errors",
        "",
    ]
    bad = [r for r in all_results if r.status in (FAIL, ERROR)]
    lines += results_table(bad) if bad else ["None."]
    for section in SECTIONS:
        sec_runs = [run for run in runs if specs[run.name].section == section]
        if not sec_runs:
            continue
        lines += ["", f"## {section.capitalize()}", ""]
        for run in sec_runs:
            spec = specs[run.name]
            lines += [f"### `{run.name}` ({run.seconds:.1f} s)", ""]
            lines += [textwrap.indent(spec.doc, "> ", lambda _line: True), ""]
            lines += results_table(run.results)
            for fig in run.figures:
                lines += ["", f"![{fig}]({fig})"]
            lines.append("")
    path = out_dir / "report.md"
    tmp = out_dir / ".report.md.tmp"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
