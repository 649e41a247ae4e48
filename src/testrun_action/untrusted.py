"""Service text made safe to write anywhere: valid UTF-8, redacted, bounded. Pure functions.

A JavaScript service that cuts an emoji in half sends a lone UTF-16 surrogate (`"\\udc00"`, valid JSON),
which no UTF-8 writer accepts; a test name can be a megabyte long. Before any report is written, every
piece of service text in it passes through here: surrogates become U+FFFD, secrets become `***`, and
names, messages and details are clipped to the limits below. The writers (`gha`, the JUnit file, the
GitHub payloads) also replace surrogates themselves, so one missed field can never cost a report.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from .model import Artifact, FailedExecution, Report, TestResult, TestRun

ELLIPSIS = "…"
_SURROGATES = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"
# A test name is one line in every report. The check run shows at most 255 characters of it as an
# annotation title (github-platform.md 7); the summary, log and JUnit keep four times that, which no
# real test name reaches.
NAME_CHARS = 1_020
# A failure's message and its details: each at most what an annotation's `message` and `raw_details`
# hold, 64 KB (github-platform.md 7).
MESSAGE_BYTES = 65_535
# Run ids, states, error codes, file paths and URLs: short words in every service (providers.md).
FIELD_CHARS = 2_000
# A run's state in the `state` output: the service's words, when made of these characters only;
# else the phase's own word. Nothing a shell or an expression could read as more than text.
_STATE = re.compile(r"[A-Za-z0-9_ ;(),.-]{1,100}")
# What an output URL keeps as it is; anything else (whitespace, quotes, `$`, `` ` ``, `;`, `|`, `&`,
# `<`, `>`, `(`, `)`, `*`, `!`, `\\`, braces, brackets) is percent-encoded.
_URL_SAFE = "/:?=%-._~,+#@"


def clip_bytes(text: str, limit: int) -> str:
    """`text` in at most `limit` bytes of UTF-8, cut on a character boundary with an ellipsis."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    # Decoding with "ignore" drops the partial character a byte cut leaves at the end.
    return encoded[: max(0, room)].decode("utf-8", "ignore") + ELLIPSIS


def clip_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def valid(text: str) -> str:
    """`text` with every lone surrogate replaced, so it encodes as UTF-8."""
    return _SURROGATES.sub(REPLACEMENT, text) if _SURROGATES.search(text) else text


def payload(value: Any) -> Any:
    """A JSON payload with every string made valid (for the GitHub API)."""
    if isinstance(value, str):
        return valid(value)
    if isinstance(value, dict):
        return {payload(k): payload(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [payload(v) for v in value]
    return value


def shown_url(url: str | None) -> str:
    """An http(s) URL fit for an output or a link: no credentials, nothing a shell would act on, or ""."""
    if not url:
        return ""
    text = valid(url.strip())
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ""
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    bare = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))
    return quote(bare, safe=_URL_SAFE)


def state_word(run: TestRun) -> str:
    """The run's state for the `state` output: the service's words, or the phase when they are odd."""
    return run.state if _STATE.fullmatch(run.state) else run.phase.value


def without_userinfo(text: str) -> str:
    """Any `scheme://user:password@` in free text shown as `scheme://***@`."""
    return _USERINFO.sub(r"\1***@", text)


# Linear on any text: a scheme starts a word and is short (RFC 3986 3.1 sets no limit; real ones are).
_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}://)[^/@\s?#]{1,2000}@")


def sanitised(report: Report, redact: Callable[[str], str]) -> Report:
    """The report with all of its service text valid, redacted and clipped: what every publisher reads."""

    def short(text: str | None, limit: int = FIELD_CHARS) -> str | None:
        return clip_chars(redact(valid(text)), limit) if text else text

    def long(text: str) -> str:
        return clip_bytes(redact(valid(text)), MESSAGE_BYTES) if text else text

    def artifacts(found: tuple[Artifact, ...]) -> tuple[Artifact, ...]:
        """Each artifact's label and URL clipped and redacted; one whose URL is not a plain http(s) URL
        is dropped."""
        kept = (Artifact(short(a.label, 100) or "", shown_url(short(a.url))) for a in found)
        return tuple(a for a in kept if a.label and a.url)

    def failure(f: FailedExecution) -> FailedExecution:
        return dataclasses.replace(
            f,
            name=clip_chars(redact(valid(f.name)), NAME_CHARS),
            message=long(f.message),
            details=long(f.details),
            file=short(f.file),
            url=short(f.url),
            group=short(f.group, NAME_CHARS),
            artifacts=artifacts(f.artifacts),
        )

    def listed(t: TestResult) -> TestResult:
        return dataclasses.replace(
            t,
            name=clip_chars(redact(valid(t.name)), NAME_CHARS),
            status=short(t.status, 50) or "",
            file=short(t.file),
            group=short(t.group, NAME_CHARS),
            key=short(t.key),
        )

    failures = dataclasses.replace(
        report.failures,
        executions=tuple(map(failure, report.failures.executions)),
        note=short(report.failures.note),
        tests=tuple(map(listed, report.failures.tests)),
        artifacts=artifacts(report.failures.artifacts),
    )
    run = report.run
    if run is not None:
        run = dataclasses.replace(
            run,
            id=short(run.id) or "",
            url=short(run.url) or "",
            build_url=short(run.build_url),
            state=short(run.state, 200) or "",
            error_code=short(run.error_code, 200),
            created_at=short(run.created_at, 100),
        )
    return dataclasses.replace(
        report,
        environment=short(report.environment) or "",
        run=run,
        failures=failures,
        problem=short(report.problem),
        verdict_note=short(report.verdict_note),
    )


def redacted(report: Report, redact: Callable[[str], str]) -> Report:
    """The report with every failure's text passed through `redact`, before any of it is clipped: what a
    writer of failure text applies itself, whether or not `sanitised` ran (a defect there costs no secret)."""

    def clean(f: FailedExecution) -> FailedExecution:
        return dataclasses.replace(
            f,
            name=redact(f.name),
            message=redact(f.message),
            details=redact(f.details),
            file=redact(f.file) if f.file else f.file,
        )

    def clean_listed(t: TestResult) -> TestResult:
        return dataclasses.replace(t, name=redact(t.name), file=redact(t.file) if t.file else t.file)

    failures = dataclasses.replace(
        report.failures,
        executions=tuple(map(clean, report.failures.executions)),
        tests=tuple(map(clean_listed, report.failures.tests)),
    )
    problem = redact(report.problem) if report.problem else report.problem
    return dataclasses.replace(report, failures=failures, problem=problem)
