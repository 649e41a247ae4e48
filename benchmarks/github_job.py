"""What a GitHub Actions step of the action sees: `GITHUB_*` variables, an event file, `INPUT_*`."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EVENTS = REPO / "tests" / "fixtures" / "events"
HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"  # the head commit of every event fixture
MERGE_SHA = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"  # GITHUB_SHA of a pull_request: never reported


def environ(
    workdir: Path,
    inputs: dict[str, str],
    github_api_url: str = "http://127.0.0.1:9",
    event: str = "push",
) -> dict[str, str]:
    """The step's environment, with its event (`push` or `pull_request`), output, summary and state
    files in `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(EVENTS / f"{event}.json", workdir / "event.json")
    pull = event == "pull_request"
    for name in ("output", "summary", "state"):
        (workdir / name).write_text("", encoding="utf-8")
    env = {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(workdir / "event.json"),
        "GITHUB_SHA": MERGE_SHA if pull else HEAD_SHA,
        "GITHUB_REF": "refs/pull/1347/merge" if pull else "refs/heads/main",
        "GITHUB_REF_NAME": "1347/merge" if pull else "main",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": github_api_url,
        "GITHUB_ACTOR": "octocat",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_OUTPUT": str(workdir / "output"),
        "GITHUB_STEP_SUMMARY": str(workdir / "summary"),
        "GITHUB_STATE": str(workdir / "state"),
    }
    env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    return env
