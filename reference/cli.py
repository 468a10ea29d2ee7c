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
import sys
from collections.abc import Sequence

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lpj",
        description="LPJ-RPC/1 tools: reference servers, a client, the conformance kit and a benchmark.",
    )
    parser.add_argument("--version", action="version", version=f"lpj {__version__} (LPJ-RPC/1)")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).add_parser(subparsers)
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
