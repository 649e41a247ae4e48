"""Start-up: from the moment the action's process starts to the moment its trigger request arrives at
the (Empirical) simulator, against the floor `python -c "import httpx, pydantic"` on the same machine.

The runs alternate (floor, reference, action, floor, ...) so that all three see the same machine.
The reference is the least any program pays that keeps its settings in a frozen pydantic model and
sends over an httpx client that can speak TLS: `import pydantic` alone is lazy and cheap, its
`BaseModel` and the first model built are not, and neither is the TLS context of `httpx.Client()`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from testrun_sim.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from testrun_sim.server import Served

from . import github_job

RUNS = 15
FLOOR = "import httpx, pydantic"
REFERENCE = """\
import httpx
from pydantic import BaseModel, ConfigDict, SecretStr
class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)
    api_key: SecretStr
Settings(api_key="x")
httpx.Client()
"""


@dataclass(frozen=True)
class Startup:
    floor: float  # medians, seconds
    reference: float
    action: float
    own_imports: float  # seconds the action's own modules take to import (self time, -X importtime)
    runs: int


def _base_env() -> dict[str, str]:
    """The caller's environment without anything a workflow running the benchmark may have set."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_"))}


def _process_seconds(code: str, env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.monotonic() - started


def _to_trigger(app: EmpiricalSimulator, env: dict[str, str]) -> float:
    before = len(app.recorded("PUT"))
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "testrun_action"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    while len(app.recorded("PUT")) == before and process.poll() is None:
        time.sleep(0.002)
    _, errors = process.communicate(timeout=60)
    triggers = app.recorded("PUT")
    if len(triggers) == before:
        raise RuntimeError(
            f"the action sent no trigger (exit {process.returncode}): {errors.decode()[-2000:]}"
        )
    return float(triggers[before]["at"]) - started


def _own_import_seconds(env: dict[str, str]) -> float:
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import testrun_action.flow, testrun_action.providers.empirical.client",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip().startswith("testrun_action"):
            total += int(parts[0].split(":")[1])
    return total / 1e6


def measure(runs: int = RUNS) -> Startup:
    app = EmpiricalSimulator({"staging": Scenario(duration=3600.0)})
    with Served(app) as served, tempfile.TemporaryDirectory() as tmp:
        inputs = {"api-key": DEFAULT_KEY, "api-url": served.url, "environment": "staging", "wait": "false",
                  "job-summary": "false", "check-run": "false"}  # fmt: skip
        action_env = {**_base_env(), **github_job.environ(Path(tmp), inputs)}
        plain_env = _base_env()
        floor, reference, action = [], [], []
        _to_trigger(app, action_env)  # warm the file cache once, for all three alike
        for _ in range(runs):
            floor.append(_process_seconds(FLOOR, plain_env))
            reference.append(_process_seconds(REFERENCE, plain_env))
            action.append(_to_trigger(app, action_env))
        own = statistics.median(_own_import_seconds(plain_env) for _ in range(3))
    return Startup(
        statistics.median(floor), statistics.median(reference), statistics.median(action), own, runs
    )


def table(result: Startup) -> str:
    def row(what: str, seconds: float) -> str:
        return f"| {what} | {seconds * 1000:.0f} ms | {seconds / result.floor:.2f}× |"

    goal = "met" if result.action <= 1.3 * result.floor else "not met"
    return "\n".join(
        [
            f"Medians of {result.runs} runs each, alternating.",
            "",
            "| Process start to … | Time | × floor |",
            "|---|---|---|",
            row('exit of `python -c "import httpx, pydantic"` (the floor)', result.floor),
            row(
                "exit of the same plus one frozen pydantic model and an `httpx.Client()` (the reference)",
                result.reference,
            ),
            row(
                "**the trigger request arriving at the simulator** (`python -m testrun_action`)",
                result.action,
            ),
            "",
            f"Goal: within 1.3× of the floor: **{goal}** ({result.action / result.floor:.2f}×; "
            f"{result.action / result.reference:.2f}× the reference). The action's own modules take "
            f"{result.own_imports * 1000:.0f} ms of that to import (`python -X importtime`).",
        ]
    )
