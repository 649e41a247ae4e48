"""A local stand-in for the Dockerfile's base image (python:3.12-slim), for machines with no registry.

Debian bookworm minbase from the machine's own Debian mirror, with Python laid out the way the official
image has it: `python` and `pip` on PATH in /usr/local, pip installed there as an ordinary
(uninstallable) package, no PEP 668 marker in the way. A venv at /usr/local gives exactly that; Debian's
own python3-pip would not (pip refuses to uninstall it, and the Dockerfile removes pip).
bookworm's Python is 3.11, the oldest the project supports, which the runtime lock covers too.

The image is named after a hash of this recipe, so a changed recipe builds a new one and an unchanged
one is reused for as long as the machine keeps its podman storage.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .podman import image_exists, podman

SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
SETUP = (
    "python3 -m venv /usr/local",
    "rm -f /usr/local/bin/activate* /usr/local/bin/Activate.ps1",
    "rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/*",
)
# What `podman import` records, as the official image's config has it.
CONFIG = ("ENV LANG=C.UTF-8", 'CMD ["python3"]')
RECIPE = hashlib.sha256(repr((SUITE, PACKAGES, SETUP, CONFIG)).encode()).hexdigest()[:12]
NAME = f"localhost/testrun-action-base-standin:{SUITE}-{RECIPE}"

DEBOOTSTRAP_TIMEOUT = 900  # seen here: 40 s; a slow mirror may take several minutes


class StandInFailed(RuntimeError):
    pass


def debian_mirror(
    sources_dir: Path = Path("/etc/apt/sources.list.d"), sources_list: Path = Path("/etc/apt/sources.list")
) -> str:
    """The machine's Debian archive URI, from its apt sources (deb822 `.sources` files or the one-line format)."""
    candidates: list[str] = []
    for path in sorted(sources_dir.glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields = dict(re.findall(r"^([\w-]+):\s*(.*)$", stanza, re.MULTILINE))
            if fields.get("Enabled", "yes") != "no" and "deb" in fields.get("Types", "").split():
                candidates += fields.get("URIs", "").split()
    if sources_list.exists():
        candidates += re.findall(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", sources_list.read_text(), re.MULTILINE)
    for uri in candidates:
        if re.search(r"/debian/?$", uri):  # the main archive, not debian-security or a third party
            return uri
    raise StandInFailed(f"no Debian archive among the apt sources: {candidates or 'none found'}")


def ensure() -> str:
    """The stand-in's image name, building it first if this machine does not have it yet."""
    if image_exists(NAME):
        return NAME
    if shutil.which("debootstrap") is None:
        raise StandInFailed("debootstrap is needed to make the base image's stand-in: run `make system-deps`")
    with tempfile.TemporaryDirectory(prefix="standin-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        _run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(PACKAGES)}",
                SUITE,
                str(rootfs),
                debian_mirror(),
            ],
            DEBOOTSTRAP_TIMEOUT,
        )
        for command in SETUP:
            _run(["chroot", str(rootfs), "/bin/sh", "-c", command], 300)
        changes = [arg for change in CONFIG for arg in ("--change", change)]
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        try:
            podman("import", *changes, "-", NAME, stdin=tar.stdout, timeout=600)
        finally:
            if tar.stdout is not None:
                tar.stdout.close()
            tar.wait()
    return NAME


def _run(args: list[str], timeout: float) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-3000:]
        raise StandInFailed(f"{args[0]} failed (exit {done.returncode}):\n{tail}")
