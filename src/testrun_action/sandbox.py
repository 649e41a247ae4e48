"""`testrun sandbox`: the simulators served on 127.0.0.1 until interrupted, for trying the action by hand,
from another CI system, or from the container test."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Sequence
from dataclasses import fields

from .simulators.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from .simulators.server import Served
from .simulators.testsigma import DEFAULT_KEY as TESTSIGMA_KEY
from .simulators.testsigma import TestsigmaSimulator
from .simulators.testsigma_tms import DEFAULT_KEY as TMS_KEY
from .simulators.testsigma_tms import DEFAULT_PROJECT, TmsSimulator


def parse_scenarios(specs: Sequence[str]) -> dict[str, Scenario]:
    """`ENV=JSON` pairs into scenarios; unknown fields are refused with the list of known ones."""
    scenarios = {"production": Scenario(), "staging": Scenario()}
    known = {f.name for f in fields(Scenario)}
    for spec in specs:
        name, _, text = spec.partition("=")
        options = json.loads(text or "{}")
        unknown = set(options) - known
        if not name or unknown:
            raise SystemExit(f"--scenario {spec!r}: expected ENV=JSON with fields from {sorted(known)}")
        scenarios[name] = Scenario(**options)
    return scenarios


def serve(port: int, specs: Sequence[str], host: str = "127.0.0.1") -> int:
    simulator = EmpiricalSimulator(parse_scenarios(specs))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    testsigma = TestsigmaSimulator()
    with (
        Served(simulator, port=port, host=host) as served,
        Served(testsigma, port=port + 1, host=host) as platform,
        Served(TmsSimulator(), port=port + 2, host=host) as tms,
    ):
        lines = [
            f"Empirical simulator on {served.url}  (api-key: {DEFAULT_KEY})",
            f"  environments: {', '.join(sorted(simulator.scenarios))}",
            f"Testsigma simulator on {platform.url}  (api-key: {TESTSIGMA_KEY})",
            f"  test plans: {', '.join(str(p) for p in sorted(testsigma.plans))}; script one with "
            "PUT /_sim/plans/{id}",
            f"Testsigma Test Management simulator on {tms.url}  (api-key: {TMS_KEY}, project: {DEFAULT_PROJECT})",
            "Ctrl-C stops them",
        ]
        print("\n".join(lines), flush=True)  # noqa: T201
        stop.wait()
    return 0
