"""The one module that talks to the GitHub API, through PyGithub: check runs and the pull-request comment.

Imported only when something is about to be sent, so a run that reports nothing on GitHub never loads
PyGithub. Every call runs `within` a time budget: PyGithub's retries and rate-limit waits (GitHub's
`retry-after` and `x-ratelimit-reset`, github-platform.md 7) are cut short when they would outlast it,
so reporting never holds the job past its deadline. Every request carries GitHub's media type and API
version, and every write keeps to the process's one pacing clock (`pacing`). Each request (its
retries included) runs on a worker thread given the budget's time left (`clock.run_within`): a server
trickling its answer a byte at a time cannot stretch it. Answers are read within `BODY_LIMIT` after decompression, their JSON made
safe (`bodies.loads`), and a redirect is refused rather than followed. Failures surface as one
`GitHubError` carrying the status and GitHub's own message, never a header or the token.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import github
import requests
import urllib3.exceptions
from github.GithubRetry import GithubRetry
from github.Requester import (
    HTTPRequestsConnectionClass,
    HTTPSRequestsConnectionClass,
    Requester,
    RequestsResponse,
)
from urllib3.response import BaseHTTPResponse

from .. import bodies
from ..clock import Deadline, Overdue, SystemClock, run_within
from .pacing import PACING

REQUEST_TIMEOUT = 15.0  # seconds for one request at most; less when the reporting budget is nearly spent
MIN_TIMEOUT = 0.3
# GitHub asks for at least a second between writes (github.pacing, which keeps the one clock for them).
WRITE_INTERVAL = 1.0
# Sent with every request, as GitHub's REST docs ask ("Getting started with the REST API", headers; "API
# versions": a request without the header gets GitHub's default version, whatever it is then). The
# calls here were checked against GitHub's OpenAPI description of 2022-11-28.
ACCEPT = "application/vnd.github+json"
API_VERSION = "2022-11-28"
RETRIES = 4
# The largest answer read from GitHub. The biggest we ask for is a page of 30 issue comments (PyGithub's
# default `per_page`) of at most 65,536 characters each (github-platform.md 7), up to 6 bytes a character
# once escaped in JSON: 11.8 MB, with room for the rest of each comment.
BODY_LIMIT = 16_000_000
# What is read of an error body to see whether it is a rate limit (PyGithub looks for the message).
ERROR_BODY_LIMIT = 65_536


class GitHubError(Exception):
    """A GitHub API call failed; `status` is None when no answer came."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    @property
    def forbidden(self) -> bool:
        """The token may not do this (a read-only token: fork pull requests, missing permissions)."""
        return self.status == 403


class UnusableAnswer(GitHubError):
    """GitHub answered a write as a success (a 2xx or 3xx) without what the answer must hold."""


class _Refused(Exception):
    """An answer we do not accept: redirected, too large, or not JSON we can read."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _OutOfTime(Exception):
    def __init__(self, wait: float, left: float) -> None:
        super().__init__(f"GitHub asked to wait {wait:.0f}s, more than the {left:.0f}s left for reporting")


class _Budget:
    """The deadline of the call in progress, shared with every copy urllib3 makes of the retry policy."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.deadline = Deadline(SystemClock(), 0.0)


class _DeadlineRetry(GithubRetry):
    """PyGithub's retry policy (rate limits waited out, 5xx retried), bounded by the budget's deadline.

    Writes are retried only when GitHub did not process them (a rate-limit answer); a 5xx on a POST
    or PATCH may have been applied, and repeating it could duplicate a check run or its annotations.
    """

    budget: _Budget

    def new(self, **kw: Any) -> _DeadlineRetry:
        retry = super().new(**kw)
        assert isinstance(retry, _DeadlineRetry)
        retry.budget = self.budget
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() != "GET" and status_code >= 500:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    @staticmethod
    def get_content(resp: BaseHTTPResponse, url: str) -> bytes:
        """The start of an error answer, to see whether it says "rate limit": never all of a huge one."""
        try:
            return bodies.read_within(
                resp.stream(bodies.CHUNK, decode_content=False),
                resp.headers.get("content-encoding"),
                ERROR_BODY_LIMIT,
            )
        except bodies.BodyError:
            return b""

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        wait = self.get_retry_after(response) if response is not None else None
        if wait is None:
            wait = self.get_backoff_time()
        left = self.budget.deadline.remaining()
        if wait >= left:
            raise _OutOfTime(wait, left)
        if wait >= 1:
            self.budget.log(f"GitHub API: rate limited or unavailable; retrying in {wait:.0f}s.")
        super().sleep(response)


def _bounded(base: type[Any], budget: _Budget) -> type[Any]:
    """PyGithub's connection class with a timeout that is never longer than the budget's time left, so
    one slow answer cannot hold the step past its deadline (after a cancel signal: past the kill)."""

    class Bounded(base):  # type: ignore[misc]
        @property
        def timeout(self) -> float:
            return max(MIN_TIMEOUT, min(REQUEST_TIMEOUT, budget.deadline.remaining()))

        @timeout.setter
        def timeout(self, value: float | None) -> None:
            pass  # the budget decides

        def getresponse(self) -> RequestsResponse:
            url = f"{self.protocol}://{self.host}:{self.port}{self.url}"
            paced = (
                contextlib.nullcontext()
                if self.verb == "GET"
                else PACING.write(budget.deadline, WRITE_INTERVAL, MIN_TIMEOUT)
            )
            with paced:
                seconds = max(MIN_TIMEOUT, budget.deadline.remaining())
                return run_within(seconds, functools.partial(self._exchange, url), "GitHub request")

        def _exchange(self, url: str) -> RequestsResponse:
            answer = self.session.request(
                self.verb,
                url,
                headers={
                    **self.headers,
                    "Accept": ACCEPT,
                    "X-GitHub-Api-Version": API_VERSION,
                    "Accept-Encoding": bodies.ACCEPT_ENCODING,
                },
                data=self.input,
                timeout=self.timeout,
                verify=self.verify,
                allow_redirects=False,
                stream=True,
            )
            try:
                status = answer.status_code
                if 300 <= status < 400:
                    where = urlsplit(answer.headers.get("location", "")).hostname
                    raise _Refused(
                        f"GitHub API answered with a redirect (HTTP {status}){f' to {where[:100]}' if where else ''}; "
                        "redirects are not followed, so the token never goes elsewhere",
                        status,
                    )
                if bodies.declared_too_large(answer.headers.get("content-length"), BODY_LIMIT):
                    raise bodies.TooLarge(BODY_LIMIT)
                body = bodies.read_within(
                    answer.raw.stream(bodies.CHUNK, decode_content=False),
                    answer.headers.get("content-encoding"),
                    BODY_LIMIT,
                )
                text = _safe_text(body)
            except bodies.BodyError as exc:
                raise _Refused(
                    f"GitHub API sent an answer that was refused: {exc}", answer.status_code
                ) from None
            finally:
                answer.close()
            return _Answer(answer, text)

    return Bounded


class _Answer(RequestsResponse):
    """PyGithub's view of an answer whose body we read ourselves."""

    def __init__(self, answer: requests.Response, text: str) -> None:
        super().__init__(answer)
        for name in ("content-encoding", "content-length", "transfer-encoding"):
            self.headers.pop(name, None)
        self._text = text

    def read(self) -> str:
        return self._text


def _safe_text(body: bytes) -> str:
    """The body as PyGithub will parse it: JSON re-encoded once made safe, other text as it came."""
    try:
        return json.dumps(bodies.loads(body), ensure_ascii=False)
    except bodies.BodyError as exc:
        if str(exc) != "not JSON":
            raise
        return bodies.clean_text(body.decode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class CheckRunRef:
    id: int
    html_url: str


class GitHubApi:
    def __init__(self, *, api_url: str, token: str, repository: str, log: Callable[[str], None]) -> None:
        self.host = urlsplit(api_url).hostname or api_url
        self._budget = _Budget(log)
        retry = _DeadlineRetry(
            total=RETRIES,
            connect=2,
            read=0,  # a read error may follow a processed write
            backoff_factor=0.5,
            allowed_methods=frozenset({"GET", "POST", "PATCH"}),
            secondary_rate_wait=60,
        )
        retry.budget = self._budget
        # The connection classes are read when the Requester is made: inject ours for this client only.
        Requester.injectConnectionClasses(
            _bounded(HTTPRequestsConnectionClass, self._budget),
            _bounded(HTTPSRequestsConnectionClass, self._budget),
        )
        try:
            self._github = github.Github(
                base_url=api_url,
                auth=github.Auth.Token(token),
                timeout=int(REQUEST_TIMEOUT),  # replaced per request by the bounded connection
                retry=retry,
                seconds_between_requests=None,
                seconds_between_writes=None,  # each client would keep its own timer: pacing keeps one
                lazy=True,  # no GET of the repository first: fewer requests against the hourly limit
                user_agent="testrun-action",
                # requests reads REQUESTS_CA_BUNDLE; SSL_CERT_FILE, which the service's client reads
                # (httpx), trusts a private CA for GitHub Enterprise Server too (docs/tls.md).
                verify=os.environ.get("SSL_CERT_FILE") or True,
            )
        finally:
            Requester.resetConnectionClasses()
        self._repo = self._github.get_repo(repository)
        self._check_runs: dict[int, Any] = {}

    def close(self) -> None:
        self._github.close()

    @contextlib.contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        """Run the calls in the block within `seconds`; any failure becomes a `GitHubError`."""
        self._budget.deadline = Deadline(SystemClock(), seconds)
        try:
            yield
        except github.GithubException as exc:
            data = exc.data if isinstance(exc.data, dict) else {}
            said = str(data.get("message") or exc.message or "").strip()
            detail = f": {said}" if said else ""
            raise GitHubError(f"GitHub answered HTTP {exc.status}{detail}", exc.status) from None
        except _OutOfTime as exc:
            raise GitHubError(str(exc)) from None
        except _Refused as exc:
            raise GitHubError(str(exc), exc.status) from None
        except Overdue as exc:
            raise GitHubError(
                f"GitHub API at {self.host} gave no complete answer within {exc.seconds:.1f}s"
            ) from None
        except (ValueError, urllib3.exceptions.HTTPError) as exc:  # e.g. odd digits in a rate-limit header
            raise GitHubError(
                f"GitHub API sent an answer that could not be read ({type(exc).__name__})"
            ) from None
        except (requests.RequestException, OSError) as exc:
            raise GitHubError(
                f"GitHub API at {self.host} could not be reached ({type(exc).__name__})"
            ) from None

    # -- check runs -------------------------------------------------------------------------------
    def create_check_run(self, *, name: str, head_sha: str, **fields: Any) -> CheckRunRef:
        check_id: object = None
        html_url: object = None
        try:
            check_run = self._repo.create_check_run(name=name, head_sha=head_sha, **fields)
            check_id, html_url = check_run.id, check_run.html_url
        except (
            AttributeError,
            KeyError,
            TypeError,
            ValueError,
            github.BadAttributeException,
        ):  # an odd success
            pass
        if (
            not isinstance(check_id, int)
            or isinstance(check_id, bool)
            or check_id <= 0
            or not isinstance(html_url, str)
            or not html_url.startswith(("https://", "http://"))
        ):
            raise UnusableAnswer(
                "GitHub answered the check-run create without the check run's id or page URL"
            )
        self._check_runs[check_id] = check_run
        return CheckRunRef(check_id, html_url)

    def update_check_run(self, check_run_id: int, **fields: Any) -> None:
        check_run = self._check_runs.get(check_run_id) or self._repo.get_check_run(check_run_id)
        check_run.edit(**fields)

    # -- issue comments ---------------------------------------------------------------------------
    def upsert_comment(self, number: int, marker: str, body: str) -> str:
        """Update the comment on issue or pull request `number` that contains `marker`, or create one."""
        issue = self._repo.get_issue(number)
        for comment in issue.get_comments():
            if marker in (comment.body or ""):
                comment.edit(body)
                return str(comment.html_url)
        return str(issue.create_comment(body).html_url)
