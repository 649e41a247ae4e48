"""What `testrun demo` and `testrun sandbox` need of one provider's simulators: an entry of the registry
(`registry.SIMULATORS`). The demo and the sandbox loop over the entries and name no provider themselves."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .server import scripted

T = TypeVar("T")


@dataclass(frozen=True)
class Started:
    """A provider's simulators, running: the step's inputs that reach them (input name to value, as in
    action.yml), and what a person reads about them (where they listen, their keys)."""

    inputs: dict[str, str]
    description: str


@dataclass(frozen=True)
class Listen:
    """Where the sandbox serves an entry: `host`, and its first port (the next ones follow it); port 0
    lets each server pick a free port."""

    host: str
    port: int

    def port_at(self, index: int) -> int:
        return self.port + index if self.port else 0


@dataclass(frozen=True)
class Script:
    """A sandbox option that scripts an entry's simulator, given any number of times:
    `--scenario NAME=JSON`."""

    option: str
    metavar: str
    help: str


@dataclass(frozen=True)
class SimulatorEntry:
    """One provider's simulators. `provider` is the value of the `provider` input that they stand in for.

    `demo` starts them, scripted for the demo job, on free ports of 127.0.0.1; `sandbox` starts them where
    `Listen` says, scripted by the strings given to `script.option`. Both enter what they start on the stack,
    which stops it."""

    provider: str
    demo: Callable[[contextlib.ExitStack[bool | None]], Started]
    sandbox: Callable[[contextlib.ExitStack[bool | None], Listen, Sequence[str]], Started]
    ports: int = 1
    script: Script | None = None


def parse_scripts(specs: Sequence[str], kind: type[T], defaults: dict[str, T], option: str) -> dict[str, T]:
    """`NAME=JSON` pairs into scenarios; unknown fields are refused with the list of known ones."""
    scenarios = dict(defaults)
    for spec in specs:
        name, _, text = spec.partition("=")
        try:
            if not name:
                raise ValueError("expected NAME=JSON")
            scenarios[name] = scripted(kind, json.loads(text or "{}"))
        except ValueError as exc:  # bad JSON too: json.JSONDecodeError is a ValueError
            raise SystemExit(f"{option} {spec!r}: {exc}") from None
    return scenarios
