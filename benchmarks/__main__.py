"""Run the benchmarks and write their tables to `benchmarks/results/latest.md` (and stdout).

`python -m benchmarks` runs every one; `python -m benchmarks waiting` (or any names of sections) runs
only those and replaces only their sections in `latest.md`, saying which figures were not re-measured.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import image, scale, startup, waiting

LATEST = Path(__file__).resolve().parent / "results" / "latest.md"
SECTIONS = {"startup": ("Start-up", startup), "waiting": ("Waiting", waiting), "scale": ("Scale", scale),
            "image": ("Image", image)}  # fmt: skip
HEADER = "<!-- Written by `make bench` (benchmarks/). -->"
KEPT_FROM = " not re-measured, from: "


def _sections(text: str) -> dict[str, str]:
    """The sections of an earlier `latest.md`, by title."""
    parts = re.split(r"^### (.+)\n", text, flags=re.MULTILINE)
    return {title: body.strip() + "\n" for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def _preamble(text: str) -> str:
    """What an earlier `latest.md` said about the machine, date and length of its oldest figures."""
    first = text.split("\n### ", 1)[0]
    said = " ".join(line for line in first.splitlines() if line and line != HEADER)
    return said.rsplit(KEPT_FROM, 1)[-1]


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        print(f"Unknown benchmark {', '.join(unknown)}; choose from {', '.join(SECTIONS)}.", file=sys.stderr)
        return 2
    chosen = names or list(SECTIONS)
    started = time.monotonic()
    earlier = LATEST.read_text(encoding="utf-8") if LATEST.exists() else ""
    sections = _sections(earlier)
    for name in chosen:
        title, module = SECTIONS[name]
        print(f"{title}…", file=sys.stderr, flush=True)
        sections[title] = f"{module.table(module.measure())}\n"
    command = "make bench" if not names else f"python -m benchmarks {' '.join(names)}"
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"{datetime.now(UTC):%Y-%m-%d}; `{command}` took {time.monotonic() - started:.0f} s."
    )
    if names:
        measured = {SECTIONS[name][0] for name in chosen}
        kept = [title for title, _ in SECTIONS.values() if title not in measured and title in sections]
        machine += f" {', '.join(sorted(measured))} re-measured then; {', '.join(kept)}{KEPT_FROM}"
        machine += _preamble(earlier)
    order = [title for title, _ in SECTIONS.values() if title in sections]
    text = "\n".join([f"{HEADER}\n{machine}\n", *(f"### {title}\n\n{sections[title]}" for title in order)])
    LATEST.parent.mkdir(parents=True, exist_ok=True)
    LATEST.write_text(text, encoding="utf-8")
    print(text)
    return 0


sys.exit(main(sys.argv[1:]))
