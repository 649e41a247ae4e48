"""How pip inside the image build reaches the package index the way pip on this machine does.

The Dockerfile's `pip install` runs in a container that knows nothing of this machine's pip settings
(a CA bundle for its TLS gateway, local wheel directories, extra indexes). They are handed in as
read-only `--volume` mounts that exist only while a RUN step runs: one pip.conf holding every setting
this machine's pip uses (from its config files and PIP_* variables alike), the CA bundle, and every
local directory or file those settings name. Never as build arguments or environment variables,
which would be baked into the image's history.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

# `pip config list` prints one setting a line: `global.cert='/etc/ssl/...'` or, for PIP_* variables,
# `:env:.find-links='/opt/wheels'`.
_SETTING = re.compile(r"^(?P<section>[^.]*)\.(?P<key>[\w-]+)='(?P<value>.*)'$")
# Sections in pip's order of precedence, lowest first (pip's "Configuration" docs).
_PRECEDENCE = {"global": 0, "install": 1, ":env:": 2}
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def machine_settings() -> dict[str, str]:
    """The settings pip on this machine applies to `pip install`, highest precedence winning."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True
    ).stdout
    ranked: dict[str, tuple[int, str]] = {}
    for line in listed.splitlines():
        match = _SETTING.match(line.strip())
        if not match or match["section"] not in _PRECEDENCE:
            continue
        rank = _PRECEDENCE[match["section"]]
        if rank >= ranked.get(match["key"], (-1, ""))[0]:
            ranked[match["key"]] = (rank, match["value"])
    return {key: value for key, (_, value) in ranked.items()}


def local_paths(settings: dict[str, str]) -> list[str]:
    """Existing files and directories on this machine that the settings point at.

    A local index's pages link to their files relative to the index (`../../files/x.whl`), so for an
    index URL the directory above it is mounted, not just the index.
    """
    paths = []
    for key, value in settings.items():
        for token in value.split():
            path = token.removeprefix("file://").rstrip("/")
            if key.endswith("index-url"):
                path = os.path.dirname(path)
            if path.startswith("/") and os.path.exists(path) and path not in paths:
                paths.append(path)
    return paths


def build_volumes(workdir: Path) -> list[str]:
    """`--volume` arguments that give a build's RUN steps this machine's pip access, read-only."""
    settings = machine_settings()
    conf = workdir / "pip.conf"
    conf.write_text("[global]\n" + "".join(f"{key} = {value}\n" for key, value in settings.items()))
    mounts = {str(conf): "/etc/pip.conf"}
    if os.path.exists(CA_BUNDLE):
        mounts[CA_BUNDLE] = CA_BUNDLE
    for path in local_paths(settings):
        mounts.setdefault(path, path)
    return [f"{source}:{target}:ro" for source, target in mounts.items()]
