"""The post step (`runs.post-entrypoint`): runs after the main step in every case (github-platform.md 3.2).

The main step saves `run_id` once a run exists and `settled` once the run no longer needs us: it ended,
was cancelled, or was meant to keep going (`wait: false`, `cancel-on-abort: false`). If the main step was
killed before that, the remote run may still be going: with `cancel-on-abort`, cancel it here. Killed
while the trigger was in flight (`trigger_at` saved, no `run_id`), the run it may have created is looked
up by the adoption rule and cancelled only when provably ours.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

from .clock import Deadline, SystemClock
from .context import load_context
from .errors import TestrunError
from .gha import Actions
from .providers import Wiring, create_provider
from .settings import load_settings, read_raw_inputs, secret_inputs

POST_SECONDS = (
    60.0  # the whole post step; the runner allows 5 minutes after a cancel (github-platform.md 3.1)
)


def run_post(environ: Mapping[str, str]) -> int:
    gha = Actions(environ)
    raw = read_raw_inputs(environ)
    for secret in secret_inputs(raw):
        gha.mask(secret)
    run_id = environ.get("STATE_run_id", "").strip()
    triggered_at = _moment(environ.get("STATE_trigger_at", ""))
    if environ.get("STATE_settled") or not (run_id or triggered_at):
        return 0
    try:
        settings = load_settings(raw)
        if not settings.cancel_on_abort:
            gha.log(f"Run {run_id} may still be going; cancel-on-abort is false, so it is left alone.")
            return 0
        clock = SystemClock()
        provider = create_provider(settings, load_context(environ), Wiring(clock, gha.log))
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
                    return 0
                run, run_id = found, found.id
            if run.terminal:
                gha.log(f"Run {run_id} had already ended ({run.state}).")
            elif provider.cancel(run, "the GitHub job stopped before the run ended", deadline):
                gha.log(f"Cancelled run {run_id}, which the main step left going: {run.url}")
        finally:
            provider.close()
    except TestrunError as exc:
        gha.warning(
            f"Could not check or cancel run {run_id or '(unknown)'}: {exc.message}", title="Post step"
        )
    return 0


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main() -> None:
    sys.exit(run_post(os.environ))
