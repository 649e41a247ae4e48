"""The GitHub simulator validates as GitHub does, and PyGithub works against it unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import github
import pytest
from github import Auth, Github, GithubException

from testrun_action.github.api import GitHubApi, GitHubError
from testrun_sim.github import READ_TOKEN, WRITE_TOKEN, GitHubSimulator
from testrun_sim.server import Served

SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


@pytest.fixture
def sim() -> Iterator[tuple[GitHubSimulator, str]]:
    app = GitHubSimulator()
    with Served(app) as served:
        yield app, served.url


def client(url: str, token: str = WRITE_TOKEN) -> Github:
    return Github(base_url=url, auth=Auth.Token(token), retry=None, seconds_between_writes=None)


def annotation(n: int = 1, **changes: Any) -> dict[str, Any]:
    base = {
        "path": f"tests/t{n}.ts",
        "start_line": n,
        "end_line": n,
        "annotation_level": "failure",
        "message": "boom",
    }
    return {**base, **changes}


def test_pygithub_creates_updates_and_reads_a_check_run(sim: tuple[GitHubSimulator, str]) -> None:
    _, url = sim
    repo = client(url).get_repo("acme/shop")  # not lazy: PyGithub reads the repository first

    created = repo.create_check_run(name="E2E", head_sha=SHA, status="in_progress")
    created.edit(
        conclusion="failure",
        output={"title": "1 failed", "summary": "s", "annotations": [annotation(n) for n in range(1, 51)]},
    )
    created.edit(output={"title": "1 failed", "summary": "s", "annotations": [annotation(51)]})

    fetched = repo.get_check_run(created.id)
    assert (fetched.status, fetched.conclusion, fetched.name) == ("completed", "failure", "E2E")
    assert fetched.output.title == "1 failed"
    lines = [a.start_line for a in fetched.get_annotations()]  # paginated: 30 a page
    assert lines == list(range(1, 52))  # appended across updates
    assert created.html_url == f"https://github.com/acme/shop/runs/{created.id}"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": None}, '"name" wasn\'t supplied.'),
        ({"head_sha": None}, '"head_sha" wasn\'t supplied.'),
        ({"status": "completed"}, '"conclusion" wasn\'t supplied.'),
        ({"status": "done"}, "For 'properties/status', \"done\" is not one of"),
        ({"conclusion": "stale"}, "For 'properties/conclusion', \"stale\" is not one of"),
        ({"output": {"summary": "s"}}, '"title" wasn\'t supplied.'),
        ({"output": {"title": "t"}}, '"summary" wasn\'t supplied.'),
        (
            {"output": {"title": "t", "summary": "s" * 65536}},
            "Only 65535 characters are allowed; 65536 were supplied.",
        ),
        (
            {"output": {"title": "t", "summary": "s", "annotations": [annotation()] * 51}},
            "No more than 50 items are allowed; 51 were supplied.",
        ),
        (
            {"output": {"title": "t", "summary": "s", "annotations": [annotation(annotation_level="error")]}},
            "For 'properties/annotation_level', \"error\" is not one of",
        ),
        (
            {"output": {"title": "t", "summary": "s", "annotations": [{"path": "a", "start_line": 1}]}},
            '"end_line" wasn\'t supplied.',
        ),
        (
            {"output": {"title": "t", "summary": "s", "annotations": [annotation(title="x" * 256)]}},
            "Only 255 characters are allowed; title.",
        ),
        (
            {"output": {"title": "t", "summary": "s", "annotations": [annotation(message="ü" * 32769)]}},
            "message is too large: only 65536 bytes are allowed; 65538 were supplied.",
        ),
    ],
)
def test_invalid_check_runs_get_422_in_githubs_words(
    sim: tuple[GitHubSimulator, str], fields: dict[str, Any], message: str
) -> None:
    app, url = sim
    body = {k: v for k, v in {"name": "E2E", "head_sha": SHA, **fields}.items() if v is not None}
    requester = client(url).requester

    with pytest.raises(GithubException) as caught:
        requester.requestJsonAndCheck("POST", "/repos/acme/shop/check-runs", input=body)

    assert caught.value.status == 422
    assert caught.value.data["message"].startswith("Invalid request.\n\n")
    assert message in caught.value.data["message"]
    assert caught.value.data["documentation_url"].startswith("https://docs.github.com/rest/checks/runs")
    assert app.check_runs == {}


def test_read_only_token_gets_403_and_unknown_token_401(sim: tuple[GitHubSimulator, str]) -> None:
    _, url = sim

    with pytest.raises(GithubException) as forbidden:
        client(url, READ_TOKEN).get_repo("acme/shop").create_check_run(name="E2E", head_sha=SHA)
    with pytest.raises(github.BadCredentialsException):
        client(url, "ghs_nope").get_repo("acme/shop")

    assert forbidden.value.status == 403
    assert forbidden.value.data["message"] == "Resource not accessible by integration"


def test_github_api_within_budget_turns_failures_into_github_errors(sim: tuple[GitHubSimulator, str]) -> None:
    _, url = sim
    api = GitHubApi(api_url=url, token=READ_TOKEN, repository="acme/shop", log=lambda _: None)

    with pytest.raises(GitHubError) as caught, api.within(5):
        api.create_check_run(name="E2E", head_sha=SHA)

    assert caught.value.forbidden
    assert str(caught.value) == "GitHub answered HTTP 403: Resource not accessible by integration"
    assert READ_TOKEN not in str(caught.value)


def test_multibyte_annotations_at_the_byte_limit_are_accepted(sim: tuple[GitHubSimulator, str]) -> None:
    from testrun_action.model import FailedExecution
    from testrun_action.report.annotations import to_annotations

    app, url = sim
    api = GitHubApi(api_url=url, token=WRITE_TOKEN, repository="acme/shop", log=lambda _: None)
    failures = [FailedExecution(name="ü" * 300, file="a.ts", message="😀" * 20_000, details="ü" * 40_000)]

    with api.within(10):
        ref = api.create_check_run(
            name="E2E",
            head_sha=SHA,
            conclusion="failure",
            output={"title": "t", "summary": "s", "annotations": to_annotations(failures)},
        )

    (stored,) = app.check_runs[ref.id].annotations
    assert len(stored["message"].encode()) <= 65_535
    assert len(stored["raw_details"].encode()) <= 65_535
    assert stored["message"].endswith("😀…")
