"""`testrun demo` and `testrun sandbox`: testrun_action's command line hands these two commands here, with
the arguments that follow the command's name."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import sandbox
from .demo import DEFAULT_PROVIDER, run_demo
from .registry import SIMULATORS

COMMANDS = ("demo", "sandbox")


def parser(command: str) -> argparse.ArgumentParser:
    if command == "demo":
        parser = argparse.ArgumentParser(
            prog="testrun demo",
            description="Run the whole flow against a provider's simulators, in a simulated GitHub job.",
        )
        parser.add_argument("--provider", default=DEFAULT_PROVIDER, choices=list(SIMULATORS))
        return parser
    parser = argparse.ArgumentParser(
        prog="testrun sandbox", description="Serve the service simulators until interrupted."
    )
    sandbox.add_arguments(parser)
    return parser


def main(command: str, argv: Sequence[str]) -> int:
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}; expected one of {COMMANDS}")
    args = parser(command).parse_args(argv)
    if command == "demo":
        return run_demo(args.provider)
    return sandbox.serve(args)
