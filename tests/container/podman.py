"""The podman command lines the container tests use, in one place.

Podman stands in for the runner's Docker engine: same image format, same `run` flags. Two settings are
needed on this kind of machine and harmless elsewhere:
- runc, not crun: crun fails to set up cgroups in this sandbox.
- explicit ulimits: podman raises RLIMIT_NOFILE and RLIMIT_NPROC to its own defaults, which the
  sandbox's hard limits refuse ("error setting rlimit type 7: operation not permitted").
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from typing import IO

PODMAN = ("podman", "--runtime", "runc")
ULIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")
# The simulator listens on the host's 127.0.0.1; host networking lets the container reach it there,
# as the runner's job network lets an action reach a service container.
RUN = (*PODMAN, "run", *ULIMITS, "--network", "host")


class PodmanUnavailable(RuntimeError):
    """This machine cannot build or run containers; the message says why."""


def podman(
    *args: str, check: bool = True, timeout: float = 120, stdin: IO[bytes] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*PODMAN, *args], stdin=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode != 0:
        raise PodmanUnavailable(
            f"podman {' '.join(args)} failed (exit {done.returncode}):\n{done.stderr.strip()}"
        )
    return done


def require_tools() -> None:
    """Raise PodmanUnavailable, saying how to fix it, if podman or runc is not installed."""
    missing = [tool for tool in ("podman", "runc") if shutil.which(tool) is None]
    if missing:
        raise PodmanUnavailable(
            f"{' and '.join(missing)} not found: they build and run the action's image. "
            "`make system-deps` installs them (as root)."
        )


def require_podman(probe_image: str) -> None:
    """Run a trivial container, or raise PodmanUnavailable with what went wrong."""
    probe = subprocess.run(
        [*RUN, "--rm", probe_image, "true"], capture_output=True, text=True, timeout=120, check=False
    )
    if probe.returncode != 0:
        raise PodmanUnavailable(
            f"podman cannot run a container on this machine (exit {probe.returncode}):\n{probe.stderr.strip()}"
        )


def image_exists(name: str) -> bool:
    return podman("image", "exists", name, check=False).returncode == 0


def image_size(name: str) -> int:
    """The image's size in bytes, as `podman images` counts it: all layers, uncompressed."""
    return int(podman("image", "inspect", "--format", "{{.Size}}", name).stdout.strip())


def build(
    context: str, tag: str, *, base: str | None, volumes: Sequence[str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Build as the runner does, with no build argument, and without the layer cache, so the time
    measured is that of a fresh build, as on a hosted runner.

    `base` replaces the image on the Dockerfile's first FROM line (`podman build --from`), the pinned
    base, with a local one; the file itself is built as it is.
    """
    # Not --layers=false: podman 4.3 then removes the image `--from` named once the build is done.
    args = [*PODMAN, "build", *ULIMITS, "--network", "host", "--tag", tag, "--no-cache"]
    if base is not None:
        args += ["--from", base]
    for volume in volumes:
        args += ["--volume", volume]
    return subprocess.run([*args, context], capture_output=True, text=True, timeout=timeout, check=False)
