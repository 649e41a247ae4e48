"""Run every benchmark and write the table to `benchmarks/results/latest.md` (and stdout)."""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import image, scale, startup, waiting

LATEST = Path(__file__).resolve().parent / "results" / "latest.md"


def main() -> int:
    started = time.monotonic()
    sections = []
    for title, module in (("Start-up", startup), ("Waiting", waiting), ("Scale", scale), ("Image", image)):
        print(f"{title}…", file=sys.stderr, flush=True)
        sections.append(f"### {title}\n\n{module.table(module.measure())}\n")
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"{datetime.now(UTC):%Y-%m-%d}; `make bench` took {time.monotonic() - started:.0f} s."
    )
    text = "\n".join([f"<!-- Written by `make bench` (benchmarks/). -->\n{machine}\n", *sections])
    LATEST.parent.mkdir(parents=True, exist_ok=True)
    LATEST.write_text(text, encoding="utf-8")
    print(text)
    return 0


sys.exit(main())
