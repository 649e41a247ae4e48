"""The post step (`runs.post-entrypoint`): runs after the main step in every case (github-platform.md 3.2).

The main step saves `run_id` once a run exists and `settled` once the run no longer needs us: it ended,
was cancelled, or was meant to keep going (`wait: false`, `cancel-on-abort: false`). If the main step was
killed before that, the remote run may still be going: with `cancel-on-abort`, cancel it here. Killed
while the trigger was in flight (`trigger_at` saved, no `run_id`), the run it may have created is looked
up by the adoption rule and cancelled only when provably ours.

With no saved state at all, nothing can be proven: the adoption rule needs the moment of the trigger,
and a runner that passes no state to post steps (act gives a Docker action's post step none) looks the
same as a main step that stopped before it saved anything. The post step says so in one line and
cancels nothing.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

from .clock import Deadline, SystemClock
from .context import GitHubContext, load_context
from .errors import ConfigurationError, TestrunError
from .gha import Actions
from .providers import Wiring, create_provider
from .settings import load_settings, read_raw_inputs, secret_inputs

POST_SECONDS = (
    60.0  # the whole post step; the runner allows 5 minutes after a cancel (github-platform.md 3.1)
)
NO_STATE = (
    "Post step: no saved state reached this step (the runner passed none, as act does, or the main step "
    "stopped before saving any), so a run the main step may have left going cannot be found; "
    "nothing is cancelled."
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
        if not any(name.startswith("STATE_") for name in environ):
            gha.log(NO_STATE)
            return 0
        run_id = environ.get("STATE_run_id", "").strip()
        triggered_at = _moment(environ.get("STATE_trigger_at", ""))
        if environ.get("STATE_settled") or not (run_id or triggered_at):
            return 0
        if run_id and not _RUN_ID.fullmatch(run_id):
            gha.warning(
                "The saved run id is not one this action writes; nothing to cancel.", title="Post step"
            )
            return 0
        _cancel_if_going(gha, environ, raw, run_id, triggered_at)
    except TestrunError as exc:
        gha.warning(f"Could not check or cancel the run: {exc.message}", title="Post step")
    except Exception as exc:  # a defect of ours: the post step still ends quietly with one line
        gha.warning(
            f"Could not check or cancel the run: internal error ({type(exc).__name__}).", title="Post step"
        )
    return 0


def _cancel_if_going(
    gha: Actions,
    environ: Mapping[str, str],
    raw: Mapping[str, str],
    run_id: str,
    triggered_at: datetime | None,
) -> None:
    settings = load_settings(raw)
    if not settings.cancel_on_abort:
        gha.log(
            f"Run {run_id or '(unknown)'} may still be going; cancel-on-abort is false, so it is left alone."
        )
        return
    try:
        context = load_context(environ)
    except ConfigurationError:  # a cancel by id needs no commit; the main step said what is wrong
        if not run_id:
            raise  # a run is adopted by its commit, so without one none can be proven ours
        context = GitHubContext()
    clock = SystemClock()
    provider = create_provider(settings, context, Wiring(clock, gha.log))
    try:
        deadline = Deadline(clock, POST_SECONDS)
        if run_id:
            run = provider.poll(run_id, deadline)
        else:
            assert triggered_at is not None
            provider.remember_trigger(triggered_at, environ.get("STATE_trigger_marker") or None)
            found = provider.own_run(deadline)
            if found is None:
                gha.log("No run created by the main step's trigger was found; nothing to cancel.")
                return
            run, run_id = found, found.id
        if run.terminal:
            gha.log(f"Run {run_id} had already ended ({run.state}).")
        elif provider.cancel(run, "the GitHub job stopped before the run ended", deadline):
            gha.log(f"Cancelled run {run_id}, which the main step left going: {run.url}")
    except TestrunError as exc:
        gha.warning(
            f"Could not check or cancel run {run_id or '(unknown)'}: {exc.message}", title="Post step"
        )
    finally:
        provider.close()


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main() -> None:
    sys.exit(run_post(os.environ))
