"""Command line: `testrun run|demo|sandbox|post`. With no arguments, `python -m testrun_action` (the
image's entrypoint) is the GitHub Action: inputs from `INPUT_*`, context from `GITHUB_*`; `testrun` alone
prints the help.

Every input is a `--flag` of `testrun run`, read from the declarations (`inputs`): a boolean input is
`--name` and `--no-name` (and, as before, `--name true|false`), and the help groups the inputs as the
providers declare them."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__
from .inputs import Input, all_inputs

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
# The shell's code for a process whose reader went away (128 + SIGPIPE): what `yes | head -1` leaves
# behind for `yes`, and what the flow exits with when the log's reader is gone (`signals`).
BROKEN_PIPE_EXIT = 141
_TRUE, _FALSE = "true", "false"


class BooleanFlag(argparse.Action):
    """`--name` (true), `--no-name` (false), and `--name true|false` or `--name=false`, as before flags
    were switches; any other value is the usual usage error, naming the flag."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        self.input_name = option_strings[0].removeprefix("--")
        options = [f"--{self.input_name}", f"--no-{self.input_name}"]
        super().__init__(options, dest, nargs="?", metavar="true|false", **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        if option_string is not None and option_string.startswith("--no-"):
            if values is not None:
                parser.error(f"argument {option_string}: takes no value (got {values!r})")
            setattr(namespace, self.dest, _FALSE)
            return
        text = _TRUE if values is None else str(values).strip().lower()
        if not text:  # `--wait "$WAIT"` with nothing in it: as before, the input's default
            setattr(namespace, self.dest, None)
            return
        if text not in (_TRUE, _FALSE):
            parser.error(f"argument --{self.input_name}: expected true or false, got {values!r}")
        setattr(namespace, self.dest, text)

    def format_usage(self) -> str:
        return " | ".join(self.option_strings)


class _HelpFormatter(argparse.HelpFormatter):
    """Booleans as `--name, --no-name`; every other input as `--name VALUE`."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34)

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if isinstance(action, BooleanFlag):
            return ", ".join(action.option_strings)
        return super()._format_action_invocation(action)


def _default_shown(spec: Input) -> str:
    """The default as the help shows it: the switch that is on, the value, or the README's words."""
    if spec.boolean:
        if spec.default in (_TRUE, _FALSE):
            return f"--{spec.name}" if spec.default == _TRUE else f"--no-{spec.name}"
        return ""
    if spec.default.startswith("${{"):  # an expression the runner evaluates: nothing on a laptop
        return ""
    return spec.default or spec.shown_default.replace("`", "")


def _groups() -> list[tuple[str, list[Input]]]:
    """The common inputs first, then the providers' own: one group per set of providers that read them,
    in the registry's order (an input two providers share is one group of both)."""
    from .providers.registry import specs

    readers: dict[str, list[str]] = {}
    for provider in specs():
        for declared in provider.inputs:
            readers.setdefault(declared.name, []).append(provider.display_name)
    groups: dict[str, list[Input]] = {"common inputs": []}
    for spec in all_inputs():
        names = readers.get(spec.name)
        title = f"{' and '.join(names)} inputs" if names else "common inputs"
        groups.setdefault(title, []).append(spec)
    return list(groups.items())


def _add_inputs(run: argparse.ArgumentParser) -> None:
    for title, inputs in _groups():
        group = run.add_argument_group(title)
        for spec in inputs:
            shown = _default_shown(spec)
            text = spec.description + (f" (default: {shown})" if shown else "")
            options: dict[str, Any] = {"dest": spec.name, "help": text.replace("%", "%%")}
            if spec.boolean:
                group.add_argument(f"--{spec.name}", action=BooleanFlag, **options)
            else:
                group.add_argument(f"--{spec.name}", metavar="VALUE", **options)


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser(
        prog="testrun",
        description="Trigger a remote end-to-end test run, wait for it, and report it.",
    )
    parser.add_argument("--version", action="version", version=f"testrun-action {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="trigger (or attach to) a run, wait, report",
        usage="testrun run [options]",
        description="Every input is also read from INPUT_<NAME> (INPUT_API-KEY or INPUT_API_KEY); flags win. "
        "Exit code: 0 passed, 1 failed, 2 configuration, 3 service or unknown, 130/143 interrupted.",
        formatter_class=_HelpFormatter,
    )
    output = run.add_argument_group("command line")
    output.add_argument(
        "--json",
        action="store_true",
        help="at the end, print the outcome as one JSON object on stdout (the step outputs by name, counts "
        "as numbers, and `exit-code`); the log goes to stderr",
    )
    _add_inputs(run)

    commands.add_parser("post", help="the action's post step: cancel a run the main step left going")
    # Their options belong to testrun_sim, which parses what follows the command's name.
    for name, summary in SIMULATOR_COMMANDS.items():
        commands.add_parser(name, help=summary, add_help=False)
    return parser, run


def _refuse_unknown(run: argparse.ArgumentParser, rest: Sequence[str]) -> None:
    """The usual usage error (exit 2), with the closest option when an unknown one looks like a typo."""
    options = [option for action in run._actions for option in action.option_strings]
    for arg in rest:
        if arg.startswith("--"):
            name = arg.split("=", 1)[0]
            close = difflib.get_close_matches(name, options, n=1)
            if close:
                run.error(f"unrecognized argument {name}; did you mean {close[0]}?")
    run.error(f"unrecognized arguments: {' '.join(rest)}")


def main(argv: Sequence[str] | None = None, *, bare: str = "action") -> int:
    """`bare`: what no command means, `action` (the image's entrypoint) or `help` (`testrun` typed alone)."""
    parser, run = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command in SIMULATOR_COMMANDS:
        return _simulator_command(args.command, rest)
    if rest:
        _refuse_unknown(run if args.command == "run" else parser, rest)
    if args.command is None and bare == "help":
        # A command is missing: the help, on stderr as a usage error is, and argparse's exit code for one.
        parser.print_help(sys.stderr)
        return 2
    if args.command in (None, "run"):
        from .flow import Hooks, run_action

        flags = {
            spec.name: getattr(args, spec.name)
            for spec in all_inputs()
            if getattr(args, spec.name, None) is not None
        }
        hooks = Hooks(stream=sys.stderr, outcome=sys.stdout) if getattr(args, "json", False) else None
        return run_action(os.environ, flags, hooks)
    from .post import run_post

    return run_post(os.environ)


def _simulator_command(command: str, argv: list[str]) -> int:
    """Hand `demo` or `sandbox` to testrun_sim, imported only here: the action never loads it."""
    if importlib.util.find_spec("testrun_sim") is None:
        sys.stderr.write(NO_SIMULATORS.format(command=command) + "\n")
        return 2
    from testrun_sim.cli import main as simulator_main

    return simulator_main(command, argv)


def quiet_broken_pipe(command: Callable[[], int]) -> int:
    """`command`'s exit code; when the reader of stdout or stderr went away (`testrun … | head -2`),
    the rest of the output goes nowhere and the exit code is the shell's for it, without a traceback."""
    try:
        code = command()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # Python's recipe: point the closed streams at devnull, so that the flush at exit cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                os.dup2(devnull, stream.fileno())
        return BROKEN_PIPE_EXIT


def entrypoint() -> None:
    """The `testrun` command."""
    sys.exit(quiet_broken_pipe(lambda: main(bare="help")))
