"""`testrun sandbox`: the simulators served on 127.0.0.1 until interrupted, for trying the action by hand,
from another CI system, or from the container test."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Sequence
from typing import TypeVar

from . import buildkite as bk
from .empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from .server import Served, scripted
from .testsigma import DEFAULT_KEY as TESTSIGMA_KEY
from .testsigma import TestsigmaSimulator
from .testsigma_tms import DEFAULT_KEY as TMS_KEY
from .testsigma_tms import DEFAULT_PROJECT, TmsSimulator

T = TypeVar("T")


def _parse(specs: Sequence[str], kind: type[T], defaults: dict[str, T], option: str) -> dict[str, T]:
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


def parse_scenarios(specs: Sequence[str]) -> dict[str, Scenario]:
    return _parse(specs, Scenario, {"production": Scenario(), "staging": Scenario()}, "--scenario")


def parse_pipelines(specs: Sequence[str]) -> dict[str, bk.Scenario]:
    return _parse(specs, bk.Scenario, {"e2e-tests": bk.Scenario()}, "--pipeline")


def serve(
    port: int,
    specs: Sequence[str],
    buildkite_port: int | None = None,
    pipelines: Sequence[str] = (),
    host: str = "127.0.0.1",
) -> int:
    """Empirical on `port`, Testsigma on port+1, its Test Management on port+2, Buildkite on port+3."""
    empirical = EmpiricalSimulator(parse_scenarios(specs))
    testsigma = TestsigmaSimulator()
    buildkite = bk.BuildkiteSimulator(parse_pipelines(pipelines))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with (
        Served(empirical, port=port, host=host) as served,
        Served(testsigma, port=port + 1, host=host) as platform,
        Served(TmsSimulator(), port=port + 2, host=host) as tms,
        Served(buildkite, port=buildkite_port or port + 3, host=host) as served_bk,
    ):
        lines = [
            f"Empirical simulator on {served.url}  (api-key: {DEFAULT_KEY})",
            f"  environments: {', '.join(sorted(empirical.scenarios))}",
            f"Testsigma simulator on {platform.url}  (api-key: {TESTSIGMA_KEY})",
            f"  test plans: {', '.join(str(p) for p in sorted(testsigma.plans))}; script one with "
            "PUT /_sim/plans/{id}",
            f"Testsigma Test Management simulator on {tms.url}  (api-key: {TMS_KEY}, project: {DEFAULT_PROJECT})",
            f"Buildkite simulator on {served_bk.url}  (api-key: {bk.DEFAULT_TOKEN}, organization: "
            f"{bk.ORGANIZATION}, suite: e2e, pipelines: {', '.join(sorted(buildkite.scenarios))})",
            "Ctrl-C stops them",
        ]
        print("\n".join(lines), flush=True)  # noqa: T201
        stop.wait()
    return 0
