"""Annotations from failed executions: a pure function, values in, dicts out, within GitHub's limits.

The same annotations go to the Checks API (github-platform.md 7) and, when the token cannot write
checks, to workflow commands (section 5). A failed execution with no file location is not an
annotation: it stays in the summary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..model import FailedExecution
from ..untrusted import clip_bytes, clip_chars
from .markdown import no_mentions

# github-platform.md 7, "Annotation object": title at most 255 characters; message and raw_details at
# most 64 KB. Kept one byte under 65,536 so either reading of "64 KB" holds.
TITLE_CHARS = 255
TEXT_BYTES = 65_535
DEFAULT_WORKSPACE = "/github/workspace"  # where a Docker action sees the checkout (github-platform.md 1.4)
_DRIVE = re.compile(r"[A-Za-z]:")  # C:/Windows/x.ts
# Longer than any path a file system holds (Linux PATH_MAX is 4096 bytes); beyond it, no annotation.
PATH_CHARS = 4096


def repo_path(file: str, workspace: str | None) -> str:
    """A repository-relative path: no workspace prefix, no leading `./`, forward slashes; "" when the
    path leads out of the repository (absolute, a drive letter, `..`) or is not one line of text."""
    path = file.strip().replace("\\", "/")
    for prefix in {(workspace or DEFAULT_WORKSPACE).rstrip("/"), DEFAULT_WORKSPACE}:
        if path.startswith(prefix + "/"):
            path = path[len(prefix) + 1 :]
    while path.startswith("./"):
        path = path[2:].lstrip("/")
    if (
        path.startswith("/")
        or _DRIVE.match(path)
        or ".." in path.split("/")
        or any(ord(c) < 32 or ord(c) == 127 for c in path)
        or len(path) > PATH_CHARS
    ):
        return ""
    return path


def _message(failure: FailedExecution) -> str:
    """The failure reason; without one, what is known and where to look."""
    if failure.message.strip():
        return failure.message.strip()
    said = "Flaky: failed, then passed on retry." if failure.flaky else "Failed."
    return f"{said} Details: {failure.url}" if failure.url else said


def _details(failure: FailedExecution) -> str:
    parts = [failure.details.strip()]
    if failure.url and failure.message.strip():
        parts.append(f"Report: {failure.url}")
    return "\n\n".join(p for p in parts if p)


def annotation(failure: FailedExecution, workspace: str | None = None) -> dict[str, Any] | None:
    """The Checks API annotation for one failed execution, or None when it has no file location."""
    path = repo_path(failure.file, workspace) if failure.file else ""
    if not path:
        return None
    line = failure.line if failure.line and failure.line > 0 else 1
    result: dict[str, Any] = {
        "path": path,
        "start_line": line,
        "end_line": line,
        "annotation_level": "warning" if failure.flaky else "failure",
        "title": clip_chars(no_mentions(" ".join(failure.name.split())) or "Unnamed test", TITLE_CHARS),
        "message": clip_bytes(no_mentions(_message(failure)), TEXT_BYTES),
    }
    details = _details(failure)
    if details:
        result["raw_details"] = clip_bytes(no_mentions(details), TEXT_BYTES)
    return result


def to_annotations(failures: Iterable[FailedExecution], workspace: str | None = None) -> list[dict[str, Any]]:
    """Annotations for every located failure: failures first, then flaky tests, each in the given order."""
    ordered = sorted(failures, key=lambda f: f.flaky)  # stable: keeps the service's order within each
    found = (annotation(f, workspace) for f in ordered)
    return [a for a in found if a is not None]


def batches(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
