"""Fixtures for the container tests: the base image's stand-in, the action's image built from the real
Dockerfile, and a fresh runner layout per step.

Nothing here skips: a machine that cannot build or run the image fails these tests, with the reason.

CONTAINER_TEST_BASE=pinned builds on the Dockerfile's own pinned base instead of the stand-in, where a
registry is reachable (GitHub's runners): the image is then exactly the one users get.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from . import image_sizes, measurements, standin
from .pip_access import build_volumes
from .podman import RUN, PodmanUnavailable, build, image_size, podman, require_podman, require_tools
from .runner import REPO, Step

# One tag per test session: another session on the same machine may be building its own.
IMAGE = f"localhost/testrun-action:container-test-{os.getpid()}"
BUILD_TIMEOUT = 900  # seen here: about 10 s on the stand-in; a cold pip cache on a slow link takes minutes
RESULTS = REPO / "benchmarks" / "results" / "image.json"


@dataclass(frozen=True)
class BuiltImage:
    name: str
    base: str
    size_bytes: int  # unpacked: every layer's tar as stored
    base_size_bytes: int
    compressed_bytes: int  # what a runner downloads: every layer gzip'd (image_sizes.py)
    base_compressed_bytes: int
    build_seconds: float
    packages: dict[str, int]  # each installed package's bytes in /opt/venv, and the action's in /app


def pinned_base() -> str:
    """The image the Dockerfile's `python-base` stage starts from."""
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"^FROM\s+(\S+)\s+AS\s+python-base\s*$", dockerfile, re.MULTILINE | re.IGNORECASE)
    assert match, "the Dockerfile has no `FROM <image> AS python-base` line"
    return match.group(1)


def _qualified(reference: str) -> str:
    """Docker's short names (`python:3.12-slim`) with the registry spelled out, as podman wants them."""
    first = reference.split("/", 1)[0]
    if "/" in reference and ("." in first or ":" in first or first == "localhost"):
        return reference
    return f"docker.io/{reference if '/' in reference else 'library/' + reference}"


@pytest.fixture(scope="session")
def base_image() -> str:
    """The image the build starts from: the stand-in, or with CONTAINER_TEST_BASE=pinned the real base."""
    pinned = os.environ.get("CONTAINER_TEST_BASE", "stand-in") == "pinned"
    problem = ""
    try:
        require_tools()
        if pinned:
            name = _qualified(pinned_base())
            podman("pull", "--quiet", name, timeout=600)
        else:
            name = standin.ensure()
        require_podman(name)
    except (PodmanUnavailable, standin.StandInFailed, OSError) as exc:
        problem = str(exc)
    if problem:  # failed outside the handler, so the report shows the reason alone
        pytest.fail(f"the action's image cannot be built and run here: {problem}", pytrace=False)
    return name


@pytest.fixture(scope="session")
def action_image(base_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltImage]:
    """The project's Dockerfile built with no build argument, on the stand-in unless the base is pinned;
    size and build time recorded."""
    started = time.monotonic()
    done = build(
        str(REPO),
        IMAGE,
        base=None if base_image == _qualified(pinned_base()) else base_image,
        volumes=build_volumes(tmp_path_factory.mktemp("pip")),
        timeout=BUILD_TIMEOUT,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        pytest.fail(
            f"podman build failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}",
            pytrace=False,
        )
    sizes = image_sizes.measure(
        IMAGE, base_image, unpacked=image_size(IMAGE), base_unpacked=image_size(base_image)
    )
    shares = subprocess.run(
        [*RUN, "--rm", "--entrypoint", "/opt/venv/bin/python", IMAGE, "-c", image_sizes.SHARES],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shares.returncode == 0, shares.stderr
    image = BuiltImage(
        IMAGE,
        base_image,
        sizes.unpacked,
        sizes.base_unpacked,
        sizes.compressed,
        sizes.base_compressed,
        round(seconds, 1),
        json.loads(shares.stdout),
    )
    _record(image)
    yield image
    podman("image", "rm", "--force", IMAGE, check=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if measurements.LINES:
        terminalreporter.section("action image")
        for line in measurements.LINES:
            terminalreporter.write_line(line)


def _record(image: BuiltImage) -> None:
    """Report the numbers and keep them where a benchmark report can read them."""
    added = image.size_bytes - image.base_size_bytes
    added_compressed = image.compressed_bytes - image.base_compressed_bytes
    base = "pinned base" if image.base == _qualified(pinned_base()) else "stand-in base"
    measurements.measured(
        f"{image.size_bytes / 1e6:.1f} MB unpacked ({added / 1e6:.1f} MB on top of the {base}, "
        f"{image.base_size_bytes / 1e6:.1f} MB); built without cache in {image.build_seconds:.1f} s"
    )
    measurements.measured(
        f"{image.compressed_bytes / 1e6:.1f} MB compressed ({added_compressed / 1e6:.1f} MB on top of the "
        f"{base}, {image.base_compressed_bytes / 1e6:.1f} MB)"
    )
    measurements.measured(
        "each package's share: "
        + ", ".join(f"{name} {size / 1e6:.2f} MB" for name, size in image.packages.items())
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    record = {
        **asdict(image),
        "added_bytes": added,
        "added_compressed_bytes": added_compressed,
        "base_is_stand_in": image.base != _qualified(pinned_base()),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


@pytest.fixture
def step(tmp_path: Path, action_image: BuiltImage) -> Iterator[Step]:
    """A runner layout for one step of the action; its container is removed afterwards."""
    step = Step(tmp_path, action_image.name)
    yield step
    step.remove_container()
