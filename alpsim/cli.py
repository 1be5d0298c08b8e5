"""Command line: `alpsim run CARD`, a thin layer over `alpsim.run`.

Exit codes: 0 success, 2 bad card or arguments (nothing is generated or written),
1 failure or interruption during the run (no partial output file is left; the message says
what is). SIGTERM and SIGHUP are handled like Ctrl-C (alpsim/signals.py).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ._version import __version__

#: Largest -n on the command line (a single file holds at most runner.MAX_FILE_EVENTS).
MAX_EVENTS = 10**12

EXAMPLES = """\
examples:
  alpsim run cards/belle2_b2ka_gg.toml                 run a shipped card as it is
  alpsim run cards/belle2_b2ka_gg.toml -n 1e6 --seed 7 -o sample.parquet
  alpsim run my_card.toml --quiet --force              replace an existing output, no progress bar
  alpsim run my_card.toml -n 1e8 -o big/ --jobs 2      dataset directory, 2 local processes
  alpsim run my_card.toml -n 1e8 -o big/ --resume      finish an interrupted run
  alpsim run my_card.toml -o big/ --dask tcp://host:8786

outputs: -o NAME.parquet writes one file (any case of .parquet); -o DIR/ (trailing slash, or an
existing directory) writes a dataset directory; --hepmc3 and --root add those formats.
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


def coupling_options() -> dict[str, str]:
    """Options of `alpsim alp`: every key [alp.couplings] accepts except Lambda (its own
    option), under the card's names, with the help text of the declared card schema
    (alpsim/card_schema.py), so the command line and the card cannot drift apart."""
    from .card_schema import COUPLING_FIELDS

    out = {}
    for f in COUPLING_FIELDS:
        if f.key == "Lambda":
            continue
        unit = f" [{f.unit}]" if f.unit else ""
        choices = f" ({', '.join(f.choices)})" if f.choices else ""
        out[f.key] = f"{f.description}{unit}{choices}".replace("%", "%%")
    return out


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 already; keep its message short
        self.print_usage(sys.stderr)
        self.exit(2, f"alpsim: error: {message}\n")


def _count(text: str) -> int:
    """Event counts such as 1000, 1e6 or 1_000_000: finite whole numbers in [1, 1e12]."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of events") from None
    if not math.isfinite(value) or value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite whole number >= 1")
    if value > MAX_EVENTS:
        raise argparse.ArgumentTypeError(f"{text!r}: at most {MAX_EVENTS:.0e} events")
    return int(value)


def _card_command(
    sub: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    name: str,
    summary: str,
    epilog: str,
    *,
    card: str,
    events: str,
    force: str,
    jobs: str,
    dask: str,
) -> argparse.ArgumentParser:
    """A subcommand that runs a card (run, scan): the card, -n, --seed, --force, -j, --dask."""
    p = sub.add_parser(
        name,
        help=summary,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    p.add_argument("card", help=card)
    p.add_argument("-n", "--events", type=_count, help=events)
    p.add_argument("--seed", type=int, help="random seed (overrides the card)")
    p.add_argument("--force", action="store_true", help=force)
    p.add_argument("-j", "--jobs", type=int, default=1, help=jobs)
    p.add_argument("--dask", metavar="ADDRESS", help=dask)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="alpsim",
        description="Fast generator and parametrized detector simulation for axion-like "
        "particles at e+e- colliders (Belle II, Belle, BaBar, BESIII).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"alpsim {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="count", default=0, help="log progress (-vv: debug)"
    )
    common.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar, no summary, errors only"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = _card_command(
        sub,
        common,
        "run",
        "generate and simulate the events of a run card",
        EXAMPLES,
        card="run card (TOML)",
        events="number of events (overrides the card)",
        force="replace an existing output",
        jobs="local processes (or Dask workers with --dask local); output becomes a "
        "dataset directory of one Parquet file per chunk",
        dask="run the chunks on a dask.distributed scheduler, or 'local'",
    )
    run.add_argument(
        "-o",
        "--output",
        help="NAME.parquet (one file) or DIR/ (dataset directory); overrides run.output",
    )
    run.add_argument("--hepmc3", metavar="FILE", help="also write truth HepMC3 (.gz: compressed)")
    run.add_argument("--root", metavar="FILE", help="also write a ROOT TTree (needs uproot)")
    run.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted dataset run (skips the chunks already written)",
    )

    scan = _card_command(
        sub,
        common,
        "scan",
        "efficiency versus ALP lifetime (and mass) by reweighting",
        SCAN_EXAMPLES,
        card="run card (TOML) with an optional [selection]",
        events="events per mass point (default: card)",
        force="replace existing outputs",
        jobs="local processes",
        dask="dask.distributed scheduler, or 'local'",
    )
    scan.add_argument(
        "--ctau",
        default="1e-3:1e5:40",
        help="lifetimes cτ in mm: LOW:HIGH:N (log-spaced) or a,b,c (default %(default)s)",
    )
    scan.add_argument("--mass", help="ALP masses in GeV, comma-separated (default: the card's)")
    scan.add_argument("-o", "--output", default="scan.csv", help="table (CSV), default %(default)s")
    scan.add_argument("--plot", help="PNG plot (default: the table name with .png)")
    validate = sub.add_parser(
        "validate",
        help="compare with the literature and write the report (works from any directory)",
        add_help=False,
    )
    validate.add_argument(
        "args",
        nargs=argparse.REMAINDER,
        help="options of the suite: --quick, -o DIR, --only NAMES, --list, --strict",
    )

    info = sub.add_parser(
        "info", help="what a sample holds (Parquet, dataset, ROOT, HepMC)", parents=[common]
    )
    info.add_argument("file", help="alpsim Parquet file or dataset directory, ROOT or HepMC file")

    alp = sub.add_parser(
        "alp",
        help="ALP widths, branching fractions and cτ from couplings",
        epilog=ALP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    alp.add_argument("--mass", type=float, required=True, help="ALP mass in GeV")
    alp.add_argument("--Lambda", type=float, default=1000.0, help="scale Λ in GeV (default 1000)")
    from .card_schema import COUPLINGS

    for name, text in coupling_options().items():
        flags = [f"--{name.replace('_', '-')}"] + ([f"--{name}"] if "_" in name else [])
        kind = str if COUPLINGS[name].kind == "string" else float
        metavar = "NAME" if kind is str else "X"
        alp.add_argument(*flags, dest=name, type=kind, metavar=metavar, help=text)
    return parser


def _validate(args: argparse.Namespace) -> int:
    """`alpsim validate [...]`: the validation suite shipped as `alpsim.validation`."""
    from .validation.__main__ import main as validation_main

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
    from .generator.alp import AlpModel, alp_table
    from .toml_fields import CardError, Table

    names = coupling_options()
    values = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    values["Lambda"] = args.Lambda
    try:
        if not (args.mass > 0 and args.mass < 100):
            raise CardError("--mass", f"= {args.mass} must be in (0, 100) GeV")
        couplings = card_couplings(Table(values, "", source="command line"))
        model = AlpModel.from_couplings(args.mass, couplings)
    except CardError as exc:
        option = "--" + exc.field.replace("_", "-").lstrip("-")
        message = str(exc).split(": ", 1)[-1]
        print(f"alpsim: error: option {option}: {message}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"alpsim: error: {exc}", file=sys.stderr)
        return 2
    print(alp_table(model))
    from .generator.alp.production import format_production, production_rates

    print("\n" + format_production(production_rates(args.mass, couplings)))
    return 0


def output_mode(output: str | None, option: str, parallel: bool) -> str:
    """'file', 'dataset' or 'none' for an -o value; anything else is a CardError (exit 2).

    NAME.parquet (any case) is one file; DIR/ or an existing directory is a dataset
    directory; a HepMC3 or ROOT name points to --hepmc3 / --root."""
    from .runner import output_kind
    from .toml_fields import CardError

    if output is None:
        if parallel:
            raise CardError("--output", "a dataset run needs an output directory (-o DIR/)")
        return "none"
    if output.strip() == "":
        raise CardError(option, f"= {output!r} is empty: give NAME.parquet or DIR/")
    kind = output_kind(output)
    if kind == "parquet":
        if Path(output).is_dir():
            raise CardError(
                option,
                f"= {output!r} is an existing directory: a .parquet name writes one file; "
                f"give {output.rstrip('/')}/ to write a dataset into that directory",
            )
        if parallel:
            raise CardError(
                option,
                f"= {output!r}: parallel and resumable runs write a dataset directory; "
                "give a directory name ending in / (DIR/)",
            )
        return "file"
    if output.endswith(("/", os.sep)) or Path(output).is_dir():
        return "dataset"
    hint = {
        "hepmc3": "HepMC3 is written by --hepmc3 FILE (beside -o NAME.parquet)",
        "root": "ROOT is written by --root FILE (beside -o NAME.parquet)",
    }.get(kind, "give NAME.parquet (one Parquet file) or DIR/ (a dataset directory)")
    raise CardError(option, f"= {output!r} is neither a .parquet file nor a directory: {hint}")


def _run(args: argparse.Namespace) -> int:
    from .commit import CommitError
    from .lock import LockError
    from .runner import OutputError, run
    from .signals import interrupts_handled
    from .toml_fields import CardError

    mode = "none"
    try:
        with interrupts_handled():
            from .card import load_card

            card = load_card(args.card)
            if args.seed is not None and not 0 <= args.seed < 2**63:
                raise CardError("--seed", f"= {args.seed} must be in [0, 2^63)")
            if args.jobs < 1:
                raise CardError("--jobs", f"= {args.jobs} must be >= 1")
            progress = not args.quiet and sys.stderr.isatty()
            parallel = bool(args.jobs > 1 or args.dask or args.resume)
            output = args.output if args.output is not None else card.run.output
            option = "--output" if args.output is not None else "run.output"
            mode = output_mode(output, option, parallel)
            if mode == "dataset":
                if args.hepmc3 or args.root:
                    raise CardError(
                        "--hepmc3/--root",
                        "are written by single-file runs only "
                        "(-o FILE.parquet, one process); dataset runs write Parquet",
                    )
                return _run_dataset(args, card, output, progress)
            result = run(
                card,
                n=args.events,
                seed=args.seed,
                output=output if mode == "file" else None,
                keep=False,
                progress=progress,
                force=args.force,
                hepmc3=args.hepmc3,
                root=args.root,
            )
    except (CardError, OutputError, TypeError) as exc:
        print(f"alpsim: error: {exc}", file=sys.stderr)
        return 2
    except (CommitError, LockError) as exc:
        print(f"alpsim: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        print(f"alpsim: interrupted ({_signal_name(exc)}); no output written", file=sys.stderr)
        return 1
    except Exception as exc:  # a failure during the run, reported without a traceback wall
        interrupt = _interrupt_in_chain(exc)
        if interrupt is not None:  # the signal's exception, wrapped by a compiled call
            print(
                f"alpsim: interrupted ({_signal_name(interrupt)}); no output written",
                file=sys.stderr,
            )
            return 1
        print(
            f"alpsim: run failed: {type(exc).__name__}: {exc}; no output written", file=sys.stderr
        )
        return 1
    if not args.quiet:
        print(result.summary())
    return 0


def _interrupt_in_chain(exc: BaseException) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt (or alpsim Interrupted) behind `exc`, if any: a signal handled
    while a numba dispatcher or C extension returns surfaces as SystemError "returned a
    result with an exception set", with the interrupt as its cause."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, KeyboardInterrupt):
            return cur
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return None


def _signal_name(exc: BaseException) -> str:
    from .signals import Interrupted

    return str(exc) if isinstance(exc, Interrupted) and str(exc) else "SIGINT"


def _left_behind(directory: Path, replaced: bool) -> str:
    """What an interrupted or failed dataset run leaves, in words."""
    from .dataset import PARTIAL, dataset_status

    if replaced:
        return f"the previous dataset in {directory} was put back; nothing of this run is kept"
    if not directory.is_dir():
        return "no output written"
    status = dataset_status(directory)
    if status.get("complete"):
        return f"the dataset {directory} is complete"
    n = len(status["files"])
    return (
        f"{n} complete chunk file{'s' * (n != 1)} kept in {directory / PARTIAL} (the dataset is "
        f"marked partial); run again with --resume to finish it"
    )


def _run_dataset(args: argparse.Namespace, card, output: str, progress: bool) -> int:
    """`alpsim run` into a dataset directory, serially, on local processes or on Dask."""
    import time

    from .dataset import make_executor, run_dataset
    from .runner import check_selection
    from .signals import Interrupted, pending_signal

    directory = Path(output)
    replaced = bool(
        args.force and not args.resume and directory.is_dir() and any(directory.iterdir())
    )
    executor = make_executor(args.jobs, args.dask)
    check_selection(card)
    n = args.events or card.run.events
    bar = None
    if progress:
        from tqdm import tqdm

        # no monitor thread: --jobs forks its workers only from a single-threaded process
        # (alpsim/dataset.py _fork_is_safe)
        tqdm.monitor_interval = 0
        bar = tqdm(total=n, unit="ev", unit_scale=True, desc="alpsim")
    start = time.perf_counter()
    try:
        manifest = run_dataset(
            card,
            directory,
            n=n,
            seed=args.seed,
            executor=executor,
            resume=args.resume,
            force=args.force,
            progress=bar.update if bar else None,
        )
    except KeyboardInterrupt as exc:
        if bar is not None:
            bar.close()
            bar = None
        left = _left_behind(directory, replaced)
        print(f"alpsim: interrupted ({_signal_name(exc)}); {left}", file=sys.stderr)
        return 1
    except Exception as exc:
        interrupt = _interrupt_in_chain(exc)
        if interrupt is None and pending_signal() is not None:
            # the signal's exception was swallowed (e.g. by a fork handler of the worker
            # start) and the failure that followed is its consequence
            interrupt = Interrupted(pending_signal())
        if interrupt is not None:  # the signal's exception, wrapped by a compiled call
            if bar is not None:
                bar.close()
                bar = None
            left = _left_behind(directory, replaced)
            print(f"alpsim: interrupted ({_signal_name(interrupt)}); {left}", file=sys.stderr)
            return 1
        from .commit import CommitError
        from .lock import LockError
        from .runner import OutputError
        from .toml_fields import CardError

        if isinstance(exc, (CardError, OutputError, TypeError, CommitError, LockError)):
            raise
        left = _left_behind(directory, replaced)
        print(f"alpsim: run failed: {type(exc).__name__}: {exc}; {left}", file=sys.stderr)
        return 1
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    if not args.quiet:
        done = manifest.done.values()
        total = sum(d.get("events", 0) for d in done)
        weighted = sum(d.get("weighted_selected", 0.0) for d in done)
        state = "complete" if not manifest.missing else f"{len(manifest.missing)} missing"
        print(f"alpsim: {card.channel.name} at {card.detector.name}, dataset {directory}")
        print(f"  events           : {total} in {len(manifest.done)} chunk files ({state})")
        if total:
            print(f"  efficiency       : {weighted / total:.4g}")
        print(f"  time             : {seconds:.2f} s")
    return 0 if not manifest.missing else 1


def _scan(args: argparse.Namespace) -> int:
    from .card import load_card
    from .commit import CommitError
    from .runner import OutputError, check_output
    from .scan import parse_ctau_grid, scan, write_outputs
    from .signals import interrupts_handled
    from .toml_fields import CardError

    try:
        with interrupts_handled():
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
            if not args.output.strip():
                raise CardError("--output", "= '' is empty: give a CSV file name")
            table = Path(args.output)
            png = Path(args.plot) if args.plot else table.with_suffix(".png")
            check_output(table, args.force)
            check_output(png, args.force)
            if table.resolve() == png.resolve():
                raise OutputError(f"the table and the plot are the same file {str(table)!r}")
            from .dataset import make_executor

            if args.jobs < 1:
                raise CardError("--jobs", f"= {args.jobs} must be >= 1")
            executor = make_executor(args.jobs, args.dask)
            points = scan(card, ctaus, masses, n=args.events, seed=args.seed, executor=executor)
            title = f"{card.channel.name} at {card.detector.name}"
            png_written = write_outputs(points, table, png, title, force=args.force)
    except (CardError, OutputError, ValueError) as exc:
        print(f"alpsim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(f"alpsim: interrupted ({_signal_name(exc)}); no output written", file=sys.stderr)
        return 1
    except (CommitError, OSError) as exc:
        print(f"alpsim: scan failed: {exc}; no output written", file=sys.stderr)
        return 1
    if not png_written:
        print(
            "alpsim: matplotlib not installed; no plot (pip install 'alpsim[plots]')",
            file=sys.stderr,
        )
    if not args.quiet:
        best = max(points, key=lambda p: p.efficiency)
        print(
            f"alpsim scan: {len(points)} points ({len({p.mass for p in points})} masses x "
            f"{len(ctaus)} lifetimes); best efficiency {best.efficiency:.4g} at "
            f"m_a = {best.mass:g} GeV, ctau = {best.ctau:.3g} mm"
        )
        print(f"  table: {table}" + (f"\n  plot : {png}" if png_written else ""))
    return 0


def _dispatch(argv: list[str]) -> int:
    if argv[:1] == ["validate"]:  # its options belong to the validation suite
        return _validate(argparse.Namespace(args=argv[1:]))
    args = build_parser().parse_args(argv)
    from .log import configure

    configure(getattr(args, "verbose", 0), getattr(args, "quiet", False))
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


def main(argv: Sequence[str] | None = None) -> int:
    command = argv is None  # the `alpsim` command itself, not a call from Python
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _dispatch(argv)
        sys.stdout.flush()
        if command and code != 0:
            _leave_if_pool_aborted(code)
        if command:
            _skip_final_collection()
    except BrokenPipeError:
        # the reader of our output went away (e.g. `| head -1`): not an error of ours;
        # point stdout at /dev/null so that the interpreter's final flush stays quiet
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


def _skip_final_collection() -> None:
    """The command is done (outputs committed, locks released): spare the interpreter's exit
    its garbage collections over numba's and the kernels' object graph, which took 1-2.5 s of
    serial time per run on the 2-core machine (0.2 s after this; benchmarks/RESULTS.md).
    gc.freeze moves every object to the permanent generation, which those collections skip;
    atexit handlers, stdio flushing and module teardown still run as before."""
    import gc

    gc.freeze()


def _leave_if_pool_aborted(code: int) -> None:
    """After a --jobs run whose workers were killed (error or signal), every output is
    already settled (removed, put back or kept complete) and reported: leave at once, so that
    no leftover executor thread or queue feeder of the killed pool can keep the process
    alive at interpreter exit."""
    from .dataset import pool_aborted

    if pool_aborted():
        logging.shutdown()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
