"""The post step (`runs.post-entrypoint`): runs after the main step in every case (github-platform.md 3.2).

The main step saves `run_id` once a run exists and `settled` once the run no longer needs us: it ended,
was cancelled, or was meant to keep going (`wait: false`, `cancel-on-abort: false`). If the main step was
killed before that, the remote run may still be going: with `cancel-on-abort`, cancel it here.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

from .clock import Deadline, SystemClock
from .context import GitHubContext, load_context
from .errors import ConfigurationError, TestrunError
from .gha import Actions
from .providers import Wiring, create_provider
from .settings import load_settings, read_raw_inputs, secret_inputs

POST_SECONDS = (
    60.0  # the whole post step; the runner allows 5 minutes after a cancel (github-platform.md 3.1)
)
# What the main step saves as `run_id`: the providers' run ids (numbers, UUIDs, build numbers).
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


def run_post(environ: Mapping[str, str]) -> int:
    """Always 0: the post step never fails the job; whatever goes wrong is one warning."""
    gha = Actions(environ)
    try:
        raw = read_raw_inputs(environ)
        for secret in secret_inputs(raw):
            gha.mask(secret)
        run_id = environ.get("STATE_run_id", "").strip()
        if not run_id or environ.get("STATE_settled"):
            return 0
        if not _RUN_ID.fullmatch(run_id):
            gha.warning(
                "The saved run id is not one this action writes; nothing to cancel.", title="Post step"
            )
            return 0
        _cancel_if_going(gha, environ, raw, run_id)
    except TestrunError as exc:
        gha.warning(f"Could not check or cancel the run: {exc.message}", title="Post step")
    except Exception as exc:  # a defect of ours: the post step still ends quietly with one line
        gha.warning(
            f"Could not check or cancel the run: internal error ({type(exc).__name__}).", title="Post step"
        )
    return 0


def _cancel_if_going(gha: Actions, environ: Mapping[str, str], raw: Mapping[str, str], run_id: str) -> None:
    settings = load_settings(raw)
    if not settings.cancel_on_abort:
        gha.log(f"Run {run_id} may still be going; cancel-on-abort is false, so it is left alone.")
        return
    try:
        context = load_context(environ)
    except ConfigurationError:  # the commit does not matter to a cancel; the main step said what is wrong
        context = GitHubContext()
    clock = SystemClock()
    provider = create_provider(settings, context, Wiring(clock, gha.log))
    try:
        deadline = Deadline(clock, POST_SECONDS)
        run = provider.poll(run_id, deadline)
        if run.terminal:
            gha.log(f"Run {run_id} had already ended ({run.state}).")
        elif provider.cancel(run, "the GitHub job stopped before the run ended", deadline):
            gha.log(f"Cancelled run {run_id}, which the main step left going: {run.url}")
    except TestrunError as exc:
        gha.warning(f"Could not check or cancel run {run_id}: {exc.message}", title="Post step")
    finally:
        provider.close()


def main() -> None:
    sys.exit(run_post(os.environ))
