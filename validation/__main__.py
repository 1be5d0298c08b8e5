"""Run the validation suite and write the report: `alpsim validate [--quick] [-o DIR]`.

The suite ships inside the package (`alpsim.validation`, source in the checkout's validation/),
so it runs from any directory; `python -m validation` still works from a checkout.
Options: --quick (the CI subset, < 2 min on one core), -o/--out DIR (default
./alpsim-validation-report/ in the current directory), -j/--jobs N (processes; default 2),
--only NAME[,NAME] (run some checks),
--list (print the checks), --strict (exit 1 if any check fails or errors; default exit 0 once
the report is written, since failing comparisons are part of the report).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .report import ERROR, FAIL, REGISTRY, CheckRun, CheckSpec, run_check, write_report

DEFAULT_OUT = Path("alpsim-validation-report")  # in the current directory, never the package


def load_checks() -> dict[str, CheckSpec]:
    """Import the check modules (registration happens on import) and return the registry."""
    from . import (  # noqa: F401
        checks_alpaca,
        checks_calorimeter,
        checks_detector,
        checks_generic_b,
        checks_kinematics,
        checks_material,
        checks_sensitivity,
        checks_theory,
        checks_tracking,
        checks_trigger_pid,
    )

    return REGISTRY


def select(specs: dict[str, CheckSpec], quick: bool, only: str | None) -> list[CheckSpec]:
    chosen = [s for s in specs.values() if s.quick or not quick]
    if only:
        names = {n.strip() for n in only.split(",") if n.strip()}
        unknown = names - set(specs)
        if unknown:
            raise SystemExit(f"unknown check(s): {', '.join(sorted(unknown))}")
        chosen = [s for s in specs.values() if s.name in names]
    return chosen


def _worker(name: str, out_dir: str, quick: bool) -> CheckRun:
    os.environ.setdefault("MPLBACKEND", "Agg")
    return run_check(load_checks()[name], Path(out_dir), quick)


def run_all(chosen: list[CheckSpec], out_dir: Path, quick: bool, jobs: int) -> list[CheckRun]:
    """Run the checks, in `jobs` processes when > 1; results in registry order."""
    if jobs <= 1 or len(chosen) <= 1:
        return [run_check(s, out_dir, quick) for s in chosen]
    # Longest checks first would be better balanced; registry order is good enough here.
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_worker, s.name, str(out_dir), quick) for s in chosen]
        return [f.result() for f in futures]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="alpsim validate", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="only the quick (CI) subset")
    ap.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT, help="report folder")
    ap.add_argument("-j", "--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--only", default=None, help="comma-separated check names")
    ap.add_argument("--list", action="store_true", help="list the checks and exit")
    ap.add_argument("--strict", action="store_true", help="exit 1 on any FAIL or ERROR")
    args = ap.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    specs = load_checks()
    if args.list:
        for s in specs.values():
            print(f"{s.section:12s} {'quick' if s.quick else 'full ':5s} {s.name}")
        return 0
    chosen = select(specs, args.quick, args.only)
    t0 = time.perf_counter()
    runs = run_all(chosen, args.out, args.quick, args.jobs)
    seconds = time.perf_counter() - t0
    path = write_report(runs, specs, args.out, args.quick, seconds)
    results = [r for run in runs for r in run.results]
    n_bad = sum(r.status in (FAIL, ERROR) for r in results)
    for run in runs:
        marks = "".join(r.status[0] for r in run.results)
        print(f"{run.seconds:6.1f} s  {run.name:32s} {marks}")
    print(
        f"{len(results)} comparisons: "
        + ", ".join(
            f"{sum(r.status == s for r in results)} {s.lower()}"
            for s in ("PASS", "FAIL", "INFO", "ERROR")
        )
        + f"; report: {path} ({seconds:.0f} s)"
    )
    return 1 if (args.strict and n_bad) else 0


if __name__ == "__main__":
    sys.exit(main())
