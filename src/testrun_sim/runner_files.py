"""The runner's side of the files a step writes: GITHUB_OUTPUT and GITHUB_STATE read back as GitHub reads
them. The tests' oracle and the demo's display; the action itself only writes these files (gha.py)."""

from __future__ import annotations

from pathlib import Path


def read_outputs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file the way the runner does (heredoc form, github-platform.md 6.1)."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").split("\n"))
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            value = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            else:
                raise ValueError(f"Matching delimiter not found '{delimiter}'")
            outputs[key] = "\n".join(value)
        elif "=" in line:
            key, value_ = line.split("=", 1)
            outputs[key] = value_
    return outputs
