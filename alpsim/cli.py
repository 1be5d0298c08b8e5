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
"""


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
    run.add_argument("--force", action="store_true", help="replace an existing output")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary")
    return parser


def _run(args: argparse.Namespace) -> int:
    from .cardreader import CardError
    from .runner import OutputError, run

    try:
        from .card import load_card

        card = load_card(args.card)
        if args.seed is not None and not 0 <= args.seed < 2**63:
            raise CardError("--seed", f"= {args.seed} must be in [0, 2^63)")
        progress = not args.quiet and sys.stderr.isatty()
        result = run(
            card,
            n=args.events,
            seed=args.seed,
            output=args.output or card.run.output,
            keep=False,
            progress=progress,
            force=args.force,
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
