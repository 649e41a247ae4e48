"""Numbers the container tests measure, shown at the end of the test report (see conftest.py)."""

from __future__ import annotations

LINES: list[str] = []


def measured(line: str) -> None:
    LINES.append(line)
