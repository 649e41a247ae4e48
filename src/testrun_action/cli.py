"""Command line: `testrun run|demo|sandbox`. With no arguments (`python -m testrun_action`, the image's
entrypoint) it is the GitHub Action: inputs from `INPUT_*`, context from `GITHUB_*`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import __version__
from .inputs import all_inputs
from .providers.registry import DEFAULT_PROVIDER, specs


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

    demo = commands.add_parser("demo", help="run the whole flow against the embedded simulator")
    demo.add_argument("--provider", default=DEFAULT_PROVIDER, choices=[spec.name for spec in specs()])

    commands.add_parser("post", help="the action's post step: cancel a run the main step left going")

    sandbox = commands.add_parser("sandbox", help="serve the service simulators on 127.0.0.1")
    sandbox.add_argument(
        "--port",
        type=int,
        default=8025,
        help="port of the Empirical simulator (default 8025); Testsigma's is the next one, "
        "Testsigma Test Management's the one after",
    )
    sandbox.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; a bridge gateway for containers)",
    )
    sandbox.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="ENV=JSON",
        help='script an environment, e.g. staging=\'{"duration": 30, "failed": 2}\'',
    )
    sandbox.add_argument(
        "--buildkite-port",
        type=int,
        default=None,
        help="port of the Buildkite simulator (default: --port + 3)",
    )
    sandbox.add_argument(
        "--pipeline",
        action="append",
        default=[],
        metavar="PIPELINE=JSON",
        help='script a Buildkite pipeline, e.g. e2e-tests=\'{"duration": 30, "failed": 2}\'',
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in (None, "run"):
        from .flow import run_action

        flags = {
            spec.name: getattr(args, spec.name)
            for spec in all_inputs()
            if getattr(args, spec.name, None) is not None
        }
        return run_action(os.environ, flags)
    if args.command == "post":
        from .post import run_post

        return run_post(os.environ)
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(args.provider)
    from .sandbox import serve

    return serve(args.port, args.scenario, args.buildkite_port, args.pipeline, host=args.host)


def entrypoint() -> None:
    sys.exit(main())
