"""Every shell command of the README and of the sandbox walkthroughs (docs/sandbox.md), run as a reader
runs it, against a sandbox on free ports: each exits as its doc says, 0 unless a comment says
`# exits N: why`. A command that cannot run here is in `SKIPPED` with the reason, and every entry there
must still be in the docs. About 40 s: the sandbox's runs take a few seconds each."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "docs/sandbox.md")
FIRST_PORT = 8025  # where the docs' sandbox listens: Empirical, then Testsigma (2), then Buildkite
PORTS = 4
# Commands the test does not run, by how they start, and why.
SKIPPED = {
    "make demo": "make: bootstraps .venv from a package index; `testrun demo` runs in tests/test_simulator_package.py",
    "make test": "make: installs Debian packages as root with apt, then runs podman",
    "pipx install": "installs from PyPI, a network outside 127.0.0.1",
}
SERVES = "runs until Ctrl-C"  # the comment of the sandbox's own command, started in the background
SCRIPT_SECONDS = 240  # the whole walkthrough; each run takes seconds, so this is a hang, not a slow run


@dataclass(frozen=True)
class Command:
    doc: str
    text: str  # the command, without its comment
    comment: str

    @property
    def exits(self) -> int:
        found = re.match(r"exits (\d+)\b", self.comment)
        return int(found.group(1)) if found else 0

    @property
    def skipped(self) -> str | None:
        return next((why for start, why in SKIPPED.items() if self.text.startswith(start)), None)


def _split_comment(line: str) -> tuple[str, str]:
    """A shell line's command and its trailing `# comment`, quotes respected."""
    quote = ""
    for n, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (n == 0 or line[n - 1].isspace()):
            return line[:n].rstrip(), line[n + 1 :].strip()
    return line.rstrip(), ""


def commands(doc: str) -> list[Command]:
    """The commands of every ```sh block of `doc`, in order (a trailing backslash continues a line)."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        for line in block.replace("\\\n", " ").splitlines():
            command, comment = _split_comment(line.strip())
            if command:
                found.append(Command(doc, command, comment))
    return found


ALL = [command for doc in DOCS for command in commands(doc)]


def test_the_docs_have_commands_and_each_skipped_one_is_still_there() -> None:
    assert [c for c in ALL if c.doc == "docs/sandbox.md" and not c.skipped]
    assert {start for start in SKIPPED if not any(c.text.startswith(start) for c in ALL)} == set()
    assert [
        c.text for c in ALL if c.comment.startswith("exits") and not re.match(r"exits \d+: \S", c.comment)
    ] == []


def _free_ports() -> int:
    """The first of PORTS consecutive free ports on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + PORTS > 65535:
            continue
        taken = []
        try:
            for port in range(first, first + PORTS):
                sock = socket.socket()
                taken.append(sock)
                sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in taken:
                sock.close()
    raise AssertionError("no free block of ports")


def _moved(text: str, first: int) -> str:
    """The command with the docs' sandbox ports replaced by the test's."""
    return re.sub(
        rf"127\.0\.0\.1:({'|'.join(str(FIRST_PORT + n) for n in range(PORTS))})\b",
        lambda m: f"127.0.0.1:{first + int(m.group(1)) - FIRST_PORT}",
        text,
    )


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    """A reader's shell outside any CI system, with the checkout's `testrun` on the PATH."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
    }


def _start_sandbox(command: Command, first: int, environ: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    sandboxed = subprocess.Popen(
        ["bash", "-c", f"exec {command.text} --port {first}"],
        cwd=cwd, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    stalled = threading.Timer(30, sandboxed.kill)  # a sandbox that never says it is up ends the loop
    stalled.start()
    try:
        assert sandboxed.stdout is not None
        lines = []
        for line in sandboxed.stdout:
            lines.append(line)
            if line.strip() == "Ctrl-C stops them":
                return sandboxed
        raise AssertionError(f"the sandbox did not start: {''.join(lines)}")
    finally:
        stalled.cancel()


def test_every_command_of_the_readme_and_the_sandbox_walkthroughs_exits_as_documented(
    tmp_path: Path, environ: dict[str, str]
) -> None:
    first = _free_ports()
    (serve,) = [c for c in ALL if SERVES in c.comment]
    runnable = [c for c in ALL if not c.skipped and c is not serve]
    status = tmp_path / "status"
    script = "".join(f'{_moved(c.text, first)}\necho "{n} $?" >>{status}\n' for n, c in enumerate(runnable))
    sandboxed = _start_sandbox(serve, first, environ, tmp_path)
    try:
        ran = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", script],
            cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=SCRIPT_SECONDS,
        )  # fmt: skip
    finally:
        sandboxed.send_signal(signal.SIGINT)
        sandboxed.communicate(timeout=30)
    log = ran.stdout + ran.stderr
    exits = dict(line.split() for line in status.read_text(encoding="utf-8").splitlines())

    assert [
        (c.text, exits.get(str(n))) for n, c in enumerate(runnable) if exits.get(str(n)) != str(c.exits)
    ] == [], log
    # No report link of a sandbox run leaves the sandbox: not in the log, not in the job summary.
    reports = log + (tmp_path / "summary.md").read_text(encoding="utf-8")
    links = re.findall(r"https?://[^\s)\]>\"'`|]+", reports)
    assert links, log
    assert [link for link in links if not link.startswith("http://127.0.0.1:")] == []
