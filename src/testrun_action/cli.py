"""Command line: `testrun run|demo|sandbox`. With no arguments (`python -m testrun_action`, the image's
entrypoint) it is the GitHub Action: inputs from `INPUT_*`, context from `GITHUB_*`."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence

from . import __version__
from .inputs import all_inputs

# The commands that start the simulators. They live in the sibling package testrun_sim, which the command
# line's install and the development environment include and the action's image leaves out.
SIMULATOR_COMMANDS = {
    "demo": "run the whole flow against a provider's simulators, in a simulated GitHub job",
    "sandbox": "serve the service simulators on 127.0.0.1",
}
NO_SIMULATORS = (
    "testrun {command}: the simulators (package testrun_sim) are not installed here; the action's image "
    "leaves them out. Install the command line from a checkout of the repository (`pip install .` or "
    "`make bootstrap`) to run it."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="testrun",
        description="Trigger a remote end-to-end test run, wait for it, and report it.",
    )
    parser.add_argument("--version", action="version", version=f"testrun-action {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="trigger (or attach to) a run, wait, report",
        description="Every input is also read from INPUT_<NAME> (INPUT_API-KEY or INPUT_API_KEY); flags win.",
    )
    for spec in all_inputs():
        run.add_argument(
            f"--{spec.name}", dest=spec.name, metavar="VALUE", help=spec.description.replace("%", "%%")
        )

    commands.add_parser("post", help="the action's post step: cancel a run the main step left going")
    # Their options belong to testrun_sim, which parses what follows the command's name.
    for name, summary in SIMULATOR_COMMANDS.items():
        commands.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command in SIMULATOR_COMMANDS:
        return _simulator_command(args.command, rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command in (None, "run"):
        from .flow import run_action

        flags = {
            spec.name: getattr(args, spec.name)
            for spec in all_inputs()
            if getattr(args, spec.name, None) is not None
        }
        return run_action(os.environ, flags)
    from .post import run_post

    return run_post(os.environ)


def _simulator_command(command: str, argv: list[str]) -> int:
    """Hand `demo` or `sandbox` to testrun_sim, imported only here: the action never loads it."""
    if importlib.util.find_spec("testrun_sim") is None:
        sys.stderr.write(NO_SIMULATORS.format(command=command) + "\n")
        return 2
    from testrun_sim.cli import main as simulator_main

    return simulator_main(command, argv)


def entrypoint() -> None:
    sys.exit(main())
