"""The one place that speaks to the runner: workflow commands on stdout, and the GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY and GITHUB_STATE files (github-platform.md sections 5 and 6).

Every line printed is treated as untrusted: secrets (and the credentials of any URL) are redacted,
anything that could start a workflow command is neutralised, lone surrogates are replaced so every
byte written is UTF-8, and each line is clipped. A file the runner gave that cannot be written costs
that file alone: one warning says what is lost, and the step goes on. Our own commands are built here, with data and properties escaped
as the runner unescapes them. Outside GitHub Actions the same calls print plain text.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import TextIO

from .untrusted import clip_chars, valid, without_userinfo

# A zero-width space breaks `::` and `##[` for the runner's parser and is invisible to a reader.
_BREAK = "\u200b"
# Toolkit advice (github-platform.md 5, add-mask): masking very short strings hides common text
# everywhere. Shorter values are never printed by this program in the first place.
MIN_MASK_LENGTH = 4
# The runner keeps at most 10 annotations of each type per step (github-platform.md 5).
ANNOTATIONS_PER_LEVEL = 10
# The runner truncates annotation messages to 4096 characters (github-platform.md 5); no log line of
# ours needs more, and a megabyte-long test name must not become a megabyte of log.
LINE_CHARS = 4096
# A title or file property: an annotation title shows 255 characters (github-platform.md 7); a path
# needs more, so a quarter of a line.
PROPERTY_CHARS = LINE_CHARS // 4
# What is lost when a file the runner gave cannot be written (github-platform.md 6).
_LOST = {
    "GITHUB_OUTPUT": "the step outputs are lost",
    "GITHUB_STEP_SUMMARY": "the job summary is lost",
    "GITHUB_STATE": "the post step will not know the run, so it cannot cancel it if this step is killed",
}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def neutralise(text: str) -> str:
    """Make untrusted text safe to print: no line of it can be read as a workflow command.

    A bare CR starts a new line for the runner (.NET ReadLine), so CRs become line breaks first; then
    a leading `::` (after whitespace) and every legacy `##[` get a zero-width space.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    safe = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith("::"):
            line = line[: len(line) - len(stripped)] + ":" + _BREAK + stripped[1:]
        safe.append(line.replace("##[", "##" + _BREAK + "["))
    return "\n".join(safe)


class Redactor:
    """Replaces every registered secret with `***`, longest first so no fragment is left."""

    def __init__(self) -> None:
        self._secrets: list[str] = []

    def add(self, secret: str) -> None:
        if len(secret) >= MIN_MASK_LENGTH and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def __contains__(self, secret: str) -> bool:
        return secret in self._secrets

    def __call__(self, text: str) -> str:
        text = without_userinfo(text)
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text


class Actions:
    """Log lines, annotations, outputs, summary and state for one step."""

    def __init__(self, environ: Mapping[str, str], stream: TextIO | None = None) -> None:
        self.enabled = environ.get("GITHUB_ACTIONS") == "true"
        self.debug = environ.get("RUNNER_DEBUG") == "1"  # the job was re-run with debug logging
        self._stream = stream
        self._output_path = environ.get("GITHUB_OUTPUT") or None
        self._summary_path = environ.get("GITHUB_STEP_SUMMARY") or None
        self._state_path = environ.get("GITHUB_STATE") or None
        self._unwritable: set[str] = set()
        self.redact = Redactor()
        self.outputs: dict[str, str] = {}  # every output set, as written: the `--json` outcome's
        # Called once the log's reader went away (`testrun run | head -2`); the flow makes it an
        # interruption (`signals`). Until then, and in threads, the rest of the log goes nowhere.
        self.on_reader_gone: Callable[[], None] | None = None
        self._reader_gone = False

    # -- log ------------------------------------------------------------------------------------
    def _print(self, line: str) -> None:
        if not self._reader_gone:
            stream = self._stream or sys.stdout
            try:
                stream.write(valid(line) + "\n")
                stream.flush()
                return
            except BrokenPipeError:
                self._reader_gone = True  # `quiet_broken_pipe` points the stream at devnull at the end
        if self.on_reader_gone is not None:  # once, in the main thread, however many lines are dropped
            self.on_reader_gone()

    def print_outcome(self, stream: TextIO, outcome: Mapping[str, object]) -> None:
        """The outcome as one JSON object on one line (`--json`), after everything else."""
        with contextlib.suppress(BrokenPipeError):
            stream.write(json.dumps(outcome, ensure_ascii=False) + "\n")
            stream.flush()

    def mask(self, secret: str) -> None:
        """Register a secret with the runner and with our own redactor, before anything is printed."""
        secret = secret.strip()
        if len(secret) < MIN_MASK_LENGTH or secret in self.redact:
            return
        self.redact.add(secret)
        if self.enabled:
            for part in secret.splitlines():
                if len(part) >= MIN_MASK_LENGTH:
                    self._print(f"::add-mask::{escape_data(part)}")

    def log(self, text: str) -> None:
        """Print text that may contain untrusted service data, each line clipped to `LINE_CHARS`."""
        safe = neutralise(self.redact(valid(text)))
        self._print("\n".join(clip_chars(line, LINE_CHARS) for line in safe.split("\n")))

    def _command(self, name: str, message: str, properties: Mapping[str, str | int | None]) -> None:
        message = clip_chars(self.redact(valid(message)), LINE_CHARS)
        if not self.enabled:
            self._print(neutralise(f"{name.capitalize()}: {message}"))
            return
        props = ",".join(
            f"{key}={escape_property(clip_chars(self.redact(valid(str(value))), PROPERTY_CHARS))}"
            for key, value in properties.items()
            if value is not None
        )
        self._print(f"::{name}{' ' + props if props else ''}::{escape_data(message)}")

    def error(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        self._command("error", message, {"file": file, "line": line, "title": title})

    def warning(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        self._command("warning", message, {"file": file, "line": line, "title": title})

    def notice(self, message: str, *, title: str | None = None) -> None:
        self._command("notice", message, {"title": title})

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        title = clip_chars(neutralise(self.redact(valid(title))).replace("\n", " "), LINE_CHARS)
        self._print(f"::group::{escape_data(title)}" if self.enabled else f"── {title}")
        try:
            yield
        finally:
            if self.enabled:
                self._print("::endgroup::")

    # -- files ----------------------------------------------------------------------------------
    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Append outputs with a random heredoc delimiter that no value contains (github-platform.md 6.1)."""
        written = {
            name: self.redact(valid(value or "")).replace("\r\n", "\n").replace("\r", "\n")
            for name, value in outputs.items()
        }
        self.outputs.update(written)
        if not self._output_path:
            return
        chunks = []
        for name, value in written.items():
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            while delimiter in value:  # pragma: no cover - a uuid4 collision
                delimiter = f"ghadelimiter_{uuid.uuid4()}"
            chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        self._append("GITHUB_OUTPUT", self._output_path, "".join(chunks))

    def save_state(self, name: str, value: str) -> bool:
        """State for the post step (read back as `STATE_<name>`); False when it could not be saved."""
        if not self._state_path:
            return True
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        return self._append(
            "GITHUB_STATE", self._state_path, f"{name}<<{delimiter}\n{valid(value)}\n{delimiter}\n"
        )

    @property
    def has_summary(self) -> bool:
        return self._summary_path is not None

    def write_summary(self, markdown: str) -> None:
        if self._summary_path:
            self._append("GITHUB_STEP_SUMMARY", self._summary_path, self.redact(valid(markdown)))

    def _append(self, variable: str, path: str, text: str) -> bool:
        """Append to a file the runner gave; a file that cannot be written is one warning, not a crash."""
        try:
            with open(path, "a", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        except (OSError, ValueError) as exc:
            if variable not in self._unwritable:
                self._unwritable.add(variable)
                why = getattr(exc, "strerror", None) or type(exc).__name__
                self.warning(f"Could not write {variable} ({why}): {_LOST[variable]}.", title="Runner file")
            return False
        return True
