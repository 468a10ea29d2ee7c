"""The ``lpj`` command: one entry point, one module per subcommand.

Each subcommand module exposes ``add_parser(subparsers)``, which registers its
parser and sets ``func`` to a callable taking the parsed arguments and
returning an exit code.  Modules are imported only when listed here, so a
missing optional dependency breaks one subcommand, not the command.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from reference import __version__

SUBCOMMAND_MODULES: tuple[str, ...] = (
    "reference.serve_cli",
    "reference.call_cli",
    "conformance.cli",
    "reference.bench_cli",
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def usage_error(command: str, message: str) -> NoReturn:
    """One line on stderr and exit status 2: what every subcommand does with a bad command line."""
    prefix = f"lpj {command}" if command else "lpj"
    print(f"{prefix}: {message} (see {prefix} --help)", file=sys.stderr)
    sys.exit(EXIT_USAGE)


def number(kind: type, low: float, high: float, what: str, *, above_low: bool = False) -> Callable[[str], Any]:
    """An argparse ``type`` for a finite number of ``kind`` within [low, high] (or (low, high])."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {what}: {text!r}") from None
        in_range = low < value <= high if above_low else low <= value <= high
        if not (math.isfinite(value) and in_range):
            bounds = (
                f"more than {low:g}"
                if above_low and high == math.inf
                else (f"at least {low:g}" if high == math.inf else f"between {low:g} and {high:g}")
            )
            raise argparse.ArgumentTypeError(f"{what} must be {bounds}, got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lpj",
        description="LPJ-RPC/1 tools: reference servers, a client, the conformance kit and a benchmark.",
    )
    parser.add_argument("--version", action="version", version=f"lpj {__version__} (LPJ-RPC/1)")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).add_parser(subparsers)
    # A bad command line gets one line saying what is wrong, never argparse's usage block.
    parser.error = lambda message: usage_error("", message)  # type: ignore[method-assign]
    for command, subparser in subparsers.choices.items():
        subparser.error = lambda message, command=command: usage_error(command, message)  # type: ignore[method-assign]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return EXIT_USAGE
    logging.basicConfig(
        level=getattr(args, "log_level", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s",
    )
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
