"""Command line: `alpsim run CARD`, a thin layer over `alpsim.run`.

Exit codes: 0 success, 2 bad card or arguments (nothing is generated or written),
1 failure during the run (no partial output file is left).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._version import __version__

EXAMPLES = """\
examples:
  alpsim run cards/belle2_b2ka_gg.toml                 run a shipped card as it is
  alpsim run cards/belle2_b2ka_gg.toml -n 1e6 --seed 7 -o sample.parquet
  alpsim run my_card.toml --quiet --force              replace an existing output, no progress bar
  alpsim run my_card.toml -n 1e8 -o big/ --jobs 2      dataset directory, 2 local processes
  alpsim run my_card.toml -n 1e8 -o big/ --resume      finish an interrupted run
  alpsim run my_card.toml -o big/ --dask tcp://host:8786
"""


SCAN_EXAMPLES = """\
examples:
  alpsim scan cards/belle2_b2ka_gg.toml --ctau 1e-3:1e5:40 --mass 0.5,1,2 -n 1e5
  alpsim scan my_card.toml --ctau 1,10,100 -o eff.csv --plot eff.png
"""


ALP_EXAMPLES = """\
examples:
  alpsim alp --mass 1.0 --g-agg 1e-4                  photon-coupled ALP
  alpsim alp --mass 0.5 --c-mumu 1 --c-ee 1            lepton-coupled, Λ = 1 TeV
  alpsim alp --mass 2.0 --g-aW 1e-5                    W-coupled (ILS)
"""

#: Coupling options of `alpsim alp`, as in a card's [alp.couplings] (BNT17 convention).
COUPLING_OPTIONS = {
    "g_agg": "g_aγγ in 1/GeV (sets C_BB)",
    "g_aW": "g_aW in 1/GeV (sets C_WW)",
    "C_GG": "gluon coupling C_GG",
    "c_ee": "electron coupling",
    "c_mumu": "muon coupling",
    "c_tautau": "tau coupling",
    "c_ll": "lepton-universal coupling",
    "c_qq": "quark-universal coupling",
    "c_chi": "dark-fermion coupling",
    "m_chi": "dark-fermion mass in GeV",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 already; keep its message short
        self.print_usage(sys.stderr)
        self.exit(2, f"alpsim: error: {message}\n")


def _count(text: str) -> int:
    """Event counts such as 1000, 1e6 or 1_000_000."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of events") from None
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number >= 1")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="alpsim",
        description="Fast generator and parametrized detector simulation for axion-like "
        "particles at e+e- colliders (Belle II, BaBar, BESIII).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"alpsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser(
        "run",
        help="generate and simulate the events of a run card",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("card", help="run card (TOML)")
    run.add_argument("-n", "--events", type=_count, help="number of events (overrides the card)")
    run.add_argument("--seed", type=int, help="random seed (overrides the card)")
    run.add_argument("-o", "--output", help="output Parquet file (overrides run.output)")
    run.add_argument("--hepmc3", metavar="FILE", help="also write truth HepMC3 (.gz: compressed)")
    run.add_argument("--root", metavar="FILE", help="also write a ROOT TTree (needs uproot)")
    run.add_argument("--force", action="store_true", help="replace an existing output")
    run.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        help="local processes (or Dask workers with --dask local); output becomes a "
        "dataset directory of one Parquet file per chunk",
    )
    run.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run the chunks on a dask.distributed scheduler, or 'local'",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted dataset run (skips the chunks already written)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary")

    scan = sub.add_parser(
        "scan",
        help="efficiency versus ALP lifetime (and mass) by reweighting",
        epilog=SCAN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("card", help="run card (TOML) with an optional [selection]")
    scan.add_argument(
        "--ctau",
        default="1e-3:1e5:40",
        help="lifetimes cτ in mm: LOW:HIGH:N (log-spaced) or a,b,c (default %(default)s)",
    )
    scan.add_argument("--mass", help="ALP masses in GeV, comma-separated (default: the card's)")
    scan.add_argument("-n", "--events", type=_count, help="events per mass point (default: card)")
    scan.add_argument("--seed", type=int, help="random seed (overrides the card)")
    scan.add_argument("-o", "--output", default="scan.csv", help="table (CSV), default %(default)s")
    scan.add_argument("--plot", help="PNG plot (default: the table name with .png)")
    scan.add_argument("--force", action="store_true", help="replace existing outputs")
    scan.add_argument("-j", "--jobs", type=int, default=1, help="local processes")
    scan.add_argument("--dask", metavar="ADDRESS", help="dask.distributed scheduler, or 'local'")
    scan.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    validate = sub.add_parser(
        "validate",
        help="compare with the literature and write the report (from a source checkout)",
        add_help=False,
    )
    validate.add_argument("args", nargs=argparse.REMAINDER, help="options of python -m validation")

    info = sub.add_parser("info", help="what a sample holds (Parquet, dataset, ROOT, HepMC)")
    info.add_argument("file", help="alpsim Parquet file or dataset directory, ROOT or HepMC file")

    alp = sub.add_parser(
        "alp",
        help="ALP widths, branching fractions and cτ from couplings",
        epilog=ALP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    alp.add_argument("--mass", type=float, required=True, help="ALP mass in GeV")
    alp.add_argument("--Lambda", type=float, default=1000.0, help="scale Λ in GeV (default 1000)")
    for name, text in COUPLING_OPTIONS.items():
        alp.add_argument(f"--{name.replace('_', '-')}", dest=name, type=float, help=text)
    return parser


def _validate(args: argparse.Namespace) -> int:
    """`alpsim validate [...]` is `python -m validation [...]` from the source checkout (the
    suite is not part of the installed package: it needs the repository's validation/)."""
    import os

    if os.path.isfile(os.path.join("validation", "__main__.py")) and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # the console script does not put the cwd on the path
    try:
        from validation.__main__ import main as validation_main
    except ImportError:
        print(
            "alpsim: error: the validation suite runs from a source checkout of alpsim: "
            "cd into it and run `alpsim validate` or `python -m validation`",
            file=sys.stderr,
        )
        return 2
    return validation_main(args.args)


def _info(args: argparse.Namespace) -> int:
    from .info import describe

    try:
        print(describe(args.file))
    except (OSError, ValueError) as exc:
        print(f"alpsim: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _alp(args: argparse.Namespace) -> int:
    from .card import card_couplings
    from .cardreader import CardError, Table
    from .generator.alp import AlpModel, alp_table

    values = {k: getattr(args, k) for k in COUPLING_OPTIONS if getattr(args, k) is not None}
    values["Lambda"] = args.Lambda
    try:
        if not (args.mass > 0 and args.mass < 100):
            raise CardError("--mass", f"= {args.mass} must be in (0, 100) GeV")
        couplings = card_couplings(Table(values, "", source="command line"))
        model = AlpModel.from_couplings(args.mass, couplings)
    except (CardError, ValueError) as exc:
        print(f"alpsim: error: {str(exc).replace('card field', 'option')}", file=sys.stderr)
        return 2
    print(alp_table(model))
    from .generator.alp.production import format_production, production_rates

    print("\n" + format_production(production_rates(args.mass, couplings)))
    return 0


def _run(args: argparse.Namespace) -> int:
    from .cardreader import CardError
    from .runner import OutputError, run

    try:
        from .card import load_card

        card = load_card(args.card)
        if args.seed is not None and not 0 <= args.seed < 2**63:
            raise CardError("--seed", f"= {args.seed} must be in [0, 2^63)")
        progress = not args.quiet and sys.stderr.isatty()
        output = args.output or card.run.output
        if args.jobs < 1:
            raise CardError("--jobs", f"= {args.jobs} must be >= 1")
        dataset = (
            args.jobs > 1
            or args.dask
            or args.resume
            or (output is not None and not output.endswith(".parquet"))
        )
        if dataset:
            if args.hepmc3 or args.root:
                raise CardError(
                    "--hepmc3/--root",
                    "are written by single-file runs only "
                    "(-o FILE.parquet, one process); dataset runs write Parquet",
                )
            if output is None:
                raise CardError("--output", "a dataset run needs an output directory (-o DIR)")
            return _run_dataset(args, card, output, progress)
        result = run(
            card,
            n=args.events,
            seed=args.seed,
            output=output,
            keep=False,
            progress=progress,
            force=args.force,
            hepmc3=args.hepmc3,
            root=args.root,
        )
    except (CardError, OutputError) as exc:
        print(f"alpsim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("alpsim: interrupted; no output written", file=sys.stderr)
        return 1
    except Exception as exc:  # a failure during the run, reported without a traceback wall
        print(f"alpsim: run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(result.summary())
    return 0


def _run_dataset(args: argparse.Namespace, card, output: str, progress: bool) -> int:
    """`alpsim run` into a dataset directory, serially, on local processes or on Dask."""
    import time

    from .cardreader import CardError
    from .dataset import make_executor, run_dataset
    from .runner import OutputError, check_selection

    if output.endswith(".parquet"):
        raise CardError(
            "--output",
            f"= {output!r}: parallel and resumable runs write a dataset "
            "directory; give a directory name (no .parquet)",
        )
    executor = make_executor(args.jobs, args.dask)
    check_selection(card)
    n = args.events or card.run.events
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n, unit="ev", unit_scale=True, desc="alpsim")
    start = time.perf_counter()
    try:
        manifest = run_dataset(
            card,
            output,
            n=n,
            seed=args.seed,
            executor=executor,
            resume=args.resume,
            force=args.force,
            progress=bar.update if bar else None,
        )
    except OutputError as exc:
        print(f"alpsim: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    if not args.quiet:
        done = manifest.done.values()
        total = sum(d.get("events", 0) for d in done)
        weighted = sum(d.get("weighted_selected", 0.0) for d in done)
        print(f"alpsim: {card.channel.name} at {card.detector.name}, dataset {output}")
        print(
            f"  events           : {total} in {len(manifest.done)} chunk files "
            f"({'complete' if not manifest.missing else f'{len(manifest.missing)} missing'})"
        )
        if total:
            print(f"  efficiency       : {weighted / total:.4g}")
        print(f"  time             : {seconds:.2f} s")
    return 0 if not manifest.missing else 1


def _scan(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .card import load_card
    from .cardreader import CardError
    from .runner import OutputError, check_output
    from .scan import parse_ctau_grid, plot, scan, write_table

    try:
        card = load_card(args.card)
        ctaus = parse_ctau_grid(args.ctau)
        masses = None
        if args.mass:
            try:
                masses = [float(m) for m in args.mass.split(",")]
            except ValueError:
                raise CardError(
                    "--mass", f"= {args.mass!r} must be comma-separated masses in GeV"
                ) from None
        table = Path(args.output)
        png = Path(args.plot) if args.plot else table.with_suffix(".png")
        check_output(table, args.force)
        check_output(png, args.force)
        from .dataset import make_executor

        if args.jobs < 1:
            raise CardError("--jobs", f"= {args.jobs} must be >= 1")
        executor = make_executor(args.jobs, args.dask)
        points = scan(card, ctaus, masses, n=args.events, seed=args.seed, executor=executor)
    except (CardError, OutputError, ValueError) as exc:
        print(f"alpsim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("alpsim: interrupted; no output written", file=sys.stderr)
        return 1
    write_table(points, table)
    try:
        plot(points, png, f"{card.channel.name} at {card.detector.name}")
    except ImportError:
        print(
            "alpsim: matplotlib not installed; no plot (pip install 'alpsim[plots]')",
            file=sys.stderr,
        )
        png = None
    if not args.quiet:
        best = max(points, key=lambda p: p.efficiency)
        print(
            f"alpsim scan: {len(points)} points ({len({p.mass for p in points})} masses x "
            f"{len(ctaus)} lifetimes); best efficiency {best.efficiency:.4g} at "
            f"m_a = {best.mass:g} GeV, ctau = {best.ctau:.3g} mm"
        )
        print(f"  table: {table}" + (f"\n  plot : {png}" if png else ""))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["validate"]:  # its options belong to python -m validation
        return _validate(argparse.Namespace(args=argv[1:]))
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    if args.command == "scan":
        return _scan(args)
    if args.command == "validate":
        return _validate(args)
    if args.command == "info":
        return _info(args)
    if args.command == "alp":
        return _alp(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
