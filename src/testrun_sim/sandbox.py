"""`testrun sandbox`: every registered provider's simulators served until interrupted, for trying the action
by hand, from another CI system, or from the container test. They take consecutive ports from `--port`, in
the registry's order."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Mapping, Sequence

from .entry import Listen, Started
from .registry import SIMULATORS
from .server import CannotListen

FIRST_PORT = 8025


def first_ports(port: int) -> dict[str, int]:
    """Each entry's first port: consecutive from `port`, in the registry's order (0: every one free)."""
    ports: dict[str, int] = {}
    for entry in SIMULATORS.values():
        ports[entry.provider] = port
        port = port + entry.ports if port else 0
    return ports


def _layout(port: int) -> str:
    firsts = first_ports(port)
    spans = (
        f"{name} {first}" + (f"-{first + SIMULATORS[name].ports - 1}" if SIMULATORS[name].ports > 1 else "")
        for name, first in firsts.items()
    )
    return ", ".join(spans)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=int,
        default=FIRST_PORT,
        help=f"first port (default {FIRST_PORT}); the simulators take the next ones: {_layout(FIRST_PORT)}"
        " (0: each a free port)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; a bridge gateway for containers)",
    )
    for entry in SIMULATORS.values():
        parser.add_argument(
            f"--{entry.provider}-port",
            dest=f"port_{entry.provider}",
            type=int,
            metavar="PORT",
            default=None,
            help=f"first port of the {entry.provider} simulators (default: as --port lays them out)",
        )
        if entry.script:
            parser.add_argument(
                entry.script.option,
                dest=f"script_{entry.provider}",
                action="append",
                default=[],
                metavar=entry.script.metavar,
                help=entry.script.help,
            )


def start(
    stack: contextlib.ExitStack[bool | None],
    host: str,
    ports: Mapping[str, int],
    scripts: Mapping[str, Sequence[str]],
) -> dict[str, Started]:
    """Every entry's simulators, started on `host` at its first port in `ports`, scripted by its `scripts`."""
    return {
        name: entry.sandbox(stack, Listen(host, ports[name]), scripts.get(name, ()))
        for name, entry in SIMULATORS.items()
    }


def serve(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM, with the options `add_arguments` declared."""
    ports = first_ports(args.port)
    for name in SIMULATORS:
        override = getattr(args, f"port_{name}")
        if override is not None:
            ports[name] = override
    scripts = {name: getattr(args, f"script_{name}", []) for name in SIMULATORS}
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with contextlib.ExitStack() as stack:
        try:
            started = start(stack, args.host, ports, scripts)
        except CannotListen as exc:
            sys.stderr.write(_cannot_listen(exc, ports, args) + "\n")
            return 2
        lines = [each.description for each in started.values()]
        print("\n".join([*lines, "Ctrl-C stops them"]), flush=True)  # noqa: T201
        stop.wait()
    return 0


def _cannot_listen(exc: CannotListen, ports: Mapping[str, int], args: argparse.Namespace) -> str:
    """One line: which port, and the option that moves it (the provider's own, when that one set it)."""
    option = "--port"
    for name, first in ports.items():
        if first <= exc.port < first + SIMULATORS[name].ports and getattr(args, f"port_{name}") is not None:
            option = f"--{name}-port"
    if exc.in_use:
        return f"Port {exc.port} is in use; pass {option} N (or stop the other process)"
    return f"Cannot listen on {exc.host}:{exc.port} ({exc.strerror}); pass {option} N or another --host"
