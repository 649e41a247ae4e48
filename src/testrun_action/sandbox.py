"""`testrun sandbox`: the simulators served on 127.0.0.1 until interrupted, for trying the action by hand,
from another CI system, or from the container test."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Sequence
from dataclasses import fields
from typing import Any, TypeVar

from .simulators import buildkite as bk
from .simulators.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from .simulators.server import Served

T = TypeVar("T")


def _parse(specs: Sequence[str], kind: type[T], defaults: dict[str, T], option: str) -> dict[str, T]:
    """`NAME=JSON` pairs into scenarios; unknown fields are refused with the list of known ones."""
    scenarios = dict(defaults)
    known = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    for spec in specs:
        name, _, text = spec.partition("=")
        options: dict[str, Any] = json.loads(text or "{}")
        unknown = set(options) - known
        if not name or unknown:
            raise SystemExit(f"{option} {spec!r}: expected NAME=JSON with fields from {sorted(known)}")
        scenarios[name] = kind(**options)
    return scenarios


def parse_scenarios(specs: Sequence[str]) -> dict[str, Scenario]:
    return _parse(specs, Scenario, {"production": Scenario(), "staging": Scenario()}, "--scenario")


def parse_pipelines(specs: Sequence[str]) -> dict[str, bk.Scenario]:
    return _parse(specs, bk.Scenario, {"e2e-tests": bk.Scenario()}, "--pipeline")


def serve(port: int, specs: Sequence[str], buildkite_port: int = 8026, pipelines: Sequence[str] = ()) -> int:
    empirical = EmpiricalSimulator(parse_scenarios(specs))
    buildkite = bk.BuildkiteSimulator(parse_pipelines(pipelines))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with Served(empirical, port=port) as served, Served(buildkite, port=buildkite_port) as served_bk:
        print(f"Empirical simulator on {served.url}  (api-key: {DEFAULT_KEY})", flush=True)  # noqa: T201
        print(f"environments: {', '.join(sorted(empirical.scenarios))}", flush=True)  # noqa: T201
        print(  # noqa: T201
            f"Buildkite simulator on {served_bk.url}  (api-key: {bk.DEFAULT_TOKEN}, organization: "
            f"{bk.ORGANIZATION}, suite: e2e, pipelines: {', '.join(sorted(buildkite.scenarios))})",
            flush=True,
        )
        print("Ctrl-C stops them", flush=True)  # noqa: T201
        stop.wait()
    return 0
