"""A simulator of the parts of GitHub's REST API this action uses (github-platform.md section 7), served
so that PyGithub talks to it unchanged.

- Check runs: create, update, get, list annotations. GitHub's validation: `name` and `head_sha`
  required, status and conclusion enums, `conclusion` required when completed, `output.title` and
  `output.summary` required with an output, summary and text at most 65,535 characters, at most 50
  annotations per request, each with path, lines, level (notice|warning|failure) and message, title at
  most 255 characters, message and raw_details at most 64 KB. Violations answer 422 in GitHub's shape.
  Annotations are appended across updates, as GitHub does.
- Issue comments: list (paginated with `Link` headers), create, update.
- Tokens: unknown -> 401 "Bad credentials"; read-only (a fork pull request's token) -> 403 "Resource not
  accessible by integration" on every write.
- Rate limits: `throttle()` scripts GitHub's secondary (403 + `retry-after`), primary (403 +
  `x-ratelimit-reset`) or 429 answers. Every answer carries the `x-ratelimit-*` headers.
- Both API roots: `https://api.github.com/...` and GitHub Enterprise Server's `/api/v3/...`.

Admin endpoints (besides those of `server.App`):
    GET /_sim/check-runs     every check run with its annotations and the requests that shaped it
    GET /_sim/comments       every issue comment
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from .server import App, Fault, Reply, Request

WRITE_TOKEN = "ghs_simulatedWriteToken0000000000000001"  # noqa: S105 - a simulator's token
READ_TOKEN = "ghs_simulatedReadOnlyToken000000000002"  # noqa: S105 - what a fork pull request's workflow gets
DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 1000  # GITHUB_TOKEN: 1,000 requests per hour per repository (github-platform.md 7)

# github-platform.md section 7, "Create" and "Annotation object".
STATUSES = ("queued", "in_progress", "completed")
ACTIONS_ONLY_STATUSES = ("waiting", "requested", "pending")
CONCLUSIONS = ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out")
LEVELS = ("notice", "warning", "failure")
MAX_ANNOTATIONS = 50
MAX_OUTPUT_CHARS = 65535
MAX_TITLE_CHARS = 255
MAX_ANNOTATION_BYTES = 64 * 1024
MAX_COMMENT_CHARS = 65536  # issue comment bodies
_SHA = re.compile(r"[0-9a-f]{40}")
_ROOT = r"(?P<root>(?:/api/v3)?)"
_REPO = _ROOT + r"/repos/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)"
_BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _gh_error(status: int, message: str, doc: str, **extra: Any) -> Reply:
    return Reply(
        status, {"message": message, "documentation_url": f"{DOCS}/{doc}", "status": str(status)} | extra
    )


def _invalid(message: str, doc: str) -> Reply:
    """GitHub's answer to a body that breaks the endpoint's schema."""
    return _gh_error(422, f"Invalid request.\n\n{message}", doc)


@dataclass
class CheckRun:
    id: int
    repo: str
    body: dict[str, Any]  # the fields as last set
    annotations: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # every accepted create/update body


@dataclass
class Comment:
    id: int
    repo: str
    issue: int
    body: str
    created_at: str
    updated_at: str


class GitHubSimulator(App):
    def __init__(
        self,
        *,
        repositories: tuple[str, ...] = ("acme/shop",),
        tokens: dict[str, str] | None = None,
        server_url: str = "https://github.com",
    ) -> None:
        super().__init__()
        self.repositories = repositories
        self.tokens = tokens if tokens is not None else {WRITE_TOKEN: "write", READ_TOKEN: "read"}
        self.server_url = server_url.rstrip("/")
        self.check_runs: dict[int, CheckRun] = {}
        self.comments: dict[int, Comment] = {}
        self._next_check = 4_000_000_001
        self._next_comment = 1_100_000_001
        self.used = 0
        self.route("GET", _REPO, self._repository)
        self.route("POST", _REPO + r"/check-runs", self._create_check_run)
        self.route("PATCH", _REPO + r"/check-runs/(?P<id>\d+)", self._update_check_run)
        self.route("GET", _REPO + r"/check-runs/(?P<id>\d+)", self._get_check_run)
        self.route("GET", _REPO + r"/check-runs/(?P<id>\d+)/annotations", self._annotations)
        self.route("GET", _REPO + r"/issues/(?P<n>\d+)", self._issue)
        self.route("GET", _REPO + r"/issues/(?P<n>\d+)/comments", self._list_comments)
        self.route("POST", _REPO + r"/issues/(?P<n>\d+)/comments", self._create_comment)
        self.route("PATCH", _REPO + r"/issues/comments/(?P<id>\d+)", self._update_comment)
        self.route("GET", r"/_sim/check-runs", lambda r, m: Reply(200, self.admin_check_runs()))
        self.route(
            "GET", r"/_sim/comments", lambda r, m: Reply(200, [vars(c) for c in self.comments.values()])
        )

    # -- scripting ------------------------------------------------------------------------------
    def throttle(
        self, kind: str = "secondary", *, wait: float = 1.0, times: int = 1, path: str = r"/repos/"
    ) -> None:
        """Answer the next `times` requests under `path` with a rate-limit error, as GitHub words it.

        kind: "secondary" (403 with `retry-after`), "primary" (403 with `x-ratelimit-remaining: 0` and
        `x-ratelimit-reset` `wait` seconds ahead) or "429" (429 with `retry-after`).
        """
        if kind == "primary":
            reset = int(time.time() + wait)
            body = {"message": "API rate limit exceeded for installation ID 4242.",
                    "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api", "status": "403"}  # fmt: skip
            headers = {"x-ratelimit-limit": str(RATE_LIMIT), "x-ratelimit-remaining": "0",
                       "x-ratelimit-used": str(RATE_LIMIT), "x-ratelimit-reset": str(reset)}  # fmt: skip
            status = 403
        else:
            body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
                    "you try again.", "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api"}  # fmt: skip
            headers = {"retry-after": str(round(wait))}
            status = 429 if kind == "429" else 403
        self.script(Fault("*", path, "status", times=times, status=status, body=body, headers=headers))

    # -- plumbing -------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Reply:
        reply = super().dispatch(request)
        if not request.path.startswith("/_sim/"):
            with self.lock:
                self.used += 1
                reply.headers.setdefault("x-ratelimit-limit", str(RATE_LIMIT))
                reply.headers.setdefault("x-ratelimit-remaining", str(max(0, RATE_LIMIT - self.used)))
                reply.headers.setdefault("x-ratelimit-used", str(self.used))
                reply.headers.setdefault("x-ratelimit-reset", str(int(time.time()) + 3600))
                reply.headers.setdefault("x-ratelimit-resource", "core")
        return reply

    def _base(self, request: Request, match: re.Match[str]) -> str:
        return f"http://{request.headers.get('host', '127.0.0.1')}{match.group('root')}"

    def _permission(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return None
        return self.tokens.get(token.strip())

    def _guard(self, request: Request, match: re.Match[str], doc: str, write: bool) -> Reply | None:
        permission = self._permission(request)
        if "authorization" not in request.headers:
            return _gh_error(401, "Requires authentication", doc)
        if permission is None:
            return _gh_error(401, "Bad credentials", doc)
        if f"{match.group('owner')}/{match.group('repo')}" not in self.repositories:
            return _gh_error(404, "Not Found", doc)
        if write and permission != "write":
            return _gh_error(403, "Resource not accessible by integration", doc)
        return None

    def _page(self, request: Request, items: list[Any]) -> Reply:
        """One page of a list, with GitHub's `Link` header (per_page at most 100, default 30)."""
        try:
            per_page = min(100, max(1, int(request.query.get("per_page", "30"))))
            page = max(1, int(request.query.get("page", "1")))
        except ValueError:
            per_page, page = 30, 1
        last = max(1, -(-len(items) // per_page))
        host = request.headers.get("host", "127.0.0.1")
        links = []
        for rel, number in (("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)):
            if 1 <= number <= last and number != page:
                query = urlencode({**request.query, "per_page": per_page, "page": number})
                links.append(f'<http://{host}{request.path}?{query}>; rel="{rel}"')
        headers = {"link": ", ".join(links)} if links else {}
        return Reply(200, items[(page - 1) * per_page : page * per_page], headers)

    # -- repositories and issues ----------------------------------------------------------------
    def _repository(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._guard(request, match, "repos/repos#get-a-repository", write=False)
        if denied:
            return denied
        full = f"{match.group('owner')}/{match.group('repo')}"
        base = self._base(request, match)
        return Reply(200, {
            "id": 1296269, "node_id": "R_kgDOAAsim", "name": match.group("repo"), "full_name": full,
            "owner": {"login": match.group("owner"), "type": "Organization"}, "private": False,
            "html_url": f"{self.server_url}/{full}", "url": f"{base}/repos/{full}",
            "default_branch": "main", "fork": False,
        })  # fmt: skip

    def _issue(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._guard(request, match, "issues/issues#get-an-issue", write=False)
        if denied:
            return denied
        full, n = f"{match.group('owner')}/{match.group('repo')}", match.group("n")
        base = self._base(request, match)
        return Reply(200, {
            "id": 7_000_000 + int(n), "number": int(n), "state": "open", "title": f"Pull request #{n}",
            "url": f"{base}/repos/{full}/issues/{n}", "html_url": f"{self.server_url}/{full}/pull/{n}",
            "comments_url": f"{base}/repos/{full}/issues/{n}/comments",
            "pull_request": {"url": f"{base}/repos/{full}/pulls/{n}"}, "user": {"login": "octocat"},
        })  # fmt: skip

    # -- check runs -----------------------------------------------------------------------------
    def _create_check_run(self, request: Request, match: re.Match[str]) -> Reply:
        doc = "checks/runs#create-a-check-run"
        denied = self._guard(request, match, doc, write=True)
        if denied:
            return denied
        body = _object(request)
        if body is None:
            return _gh_error(400, "Problems parsing JSON", doc)
        for required in ("name", "head_sha"):
            if not isinstance(body.get(required), str) or not body[required].strip():
                return _invalid(f'"{required}" wasn\'t supplied.', doc)
        if not _SHA.fullmatch(body["head_sha"]):
            return _gh_error(422, f"No commit found for SHA: {body['head_sha']}", doc)
        problem = validate_check_run(body)
        if problem:
            return _invalid(problem, doc)
        run = CheckRun(self._next_check, f"{match.group('owner')}/{match.group('repo')}", {})
        self._next_check += 1
        run.body = {"status": "queued", "conclusion": None, "started_at": _now(), "completed_at": None,
                    "details_url": None, "external_id": None, "output": {}}  # fmt: skip
        self._apply(run, body)
        self.check_runs[run.id] = run
        return Reply(201, self._check_run_json(run, self._base(request, match)))

    def _update_check_run(self, request: Request, match: re.Match[str]) -> Reply:
        doc = "checks/runs#update-a-check-run"
        denied = self._guard(request, match, doc, write=True)
        if denied:
            return denied
        run = self.check_runs.get(int(match.group("id")))
        if run is None:
            return _gh_error(404, "Not Found", doc)
        body = _object(request)
        if body is None:
            return _gh_error(400, "Problems parsing JSON", doc)
        problem = validate_check_run(body)
        if problem:
            return _invalid(problem, doc)
        self._apply(run, body)
        return Reply(200, self._check_run_json(run, self._base(request, match)))

    def _apply(self, run: CheckRun, body: dict[str, Any]) -> None:
        for key in ("name", "head_sha", "details_url", "external_id", "status", "started_at", "completed_at"):
            if key in body:
                run.body[key] = body[key]
        if body.get("conclusion"):
            run.body["conclusion"] = body["conclusion"]
            run.body["status"] = "completed"  # a conclusion completes the run
            run.body["completed_at"] = body.get("completed_at") or _now()
        output = body.get("output")
        if isinstance(output, dict):
            kept = run.body["output"]
            for key in ("title", "summary", "text"):
                if key in output:
                    kept[key] = output[key]
            run.annotations.extend(output.get("annotations") or [])  # appended, never replaced
        run.history.append(body)

    def _check_run_json(self, run: CheckRun, base: str) -> dict[str, Any]:
        b = run.body
        url = f"{base}/repos/{run.repo}/check-runs/{run.id}"
        output = b["output"]
        return {
            "id": run.id, "node_id": f"CR_sim{run.id}", "name": b["name"], "head_sha": b["head_sha"],
            "external_id": b["external_id"], "url": url, "html_url": f"{self.server_url}/{run.repo}/runs/{run.id}",
            "details_url": b["details_url"], "status": b["status"], "conclusion": b["conclusion"],
            "started_at": b["started_at"], "completed_at": b["completed_at"],
            "output": {"title": output.get("title"), "summary": output.get("summary"),
                       "text": output.get("text"), "annotations_count": len(run.annotations),
                       "annotations_url": f"{url}/annotations"},
            "check_suite": {"id": 5_000_000_001},
            "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
            "pull_requests": [],
        }  # fmt: skip

    def _get_check_run(self, request: Request, match: re.Match[str]) -> Reply:
        doc = "checks/runs#get-a-check-run"
        denied = self._guard(request, match, doc, write=False)
        if denied:
            return denied
        run = self.check_runs.get(int(match.group("id")))
        if run is None:
            return _gh_error(404, "Not Found", doc)
        return Reply(200, self._check_run_json(run, self._base(request, match)))

    def _annotations(self, request: Request, match: re.Match[str]) -> Reply:
        doc = "checks/runs#list-check-run-annotations"
        denied = self._guard(request, match, doc, write=False)
        if denied:
            return denied
        run = self.check_runs.get(int(match.group("id")))
        if run is None:
            return _gh_error(404, "Not Found", doc)
        shown = [
            {"path": a["path"], "start_line": a["start_line"], "end_line": a["end_line"],
             "start_column": a.get("start_column"), "end_column": a.get("end_column"),
             "annotation_level": a["annotation_level"], "title": a.get("title"), "message": a["message"],
             "raw_details": a.get("raw_details"),
             "blob_href": f"{self.server_url}/{run.repo}/blob/{run.body['head_sha']}/{a['path']}"}
            for a in run.annotations
        ]  # fmt: skip
        return self._page(request, shown)

    def admin_check_runs(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "id": r.id,
                    "repo": r.repo,
                    **r.body,
                    "annotations": list(r.annotations),
                    "history": list(r.history),
                }
                for r in self.check_runs.values()
            ]

    # -- issue comments -------------------------------------------------------------------------
    def _comment_json(self, comment: Comment, base: str) -> dict[str, Any]:
        return {
            "id": comment.id, "node_id": f"IC_sim{comment.id}",
            "url": f"{base}/repos/{comment.repo}/issues/comments/{comment.id}",
            "html_url": f"{self.server_url}/{comment.repo}/pull/{comment.issue}#issuecomment-{comment.id}",
            "issue_url": f"{base}/repos/{comment.repo}/issues/{comment.issue}",
            "body": comment.body, "user": _BOT, "created_at": comment.created_at,
            "updated_at": comment.updated_at, "author_association": "NONE",
        }  # fmt: skip

    def _comment_body(self, request: Request, doc: str) -> str | Reply:
        body = _object(request)
        if body is None:
            return _gh_error(400, "Problems parsing JSON", doc)
        text = body.get("body")
        if not isinstance(text, str) or not text:
            return _invalid('"body" wasn\'t supplied.', doc)
        if len(text) > MAX_COMMENT_CHARS:
            return _gh_error(422, "Validation Failed", doc, errors=[{"resource": "IssueComment",
                             "code": "custom", "field": "body", "message":
                             f"body is too long (maximum is {MAX_COMMENT_CHARS} characters)"}])  # fmt: skip
        return text

    def _list_comments(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._guard(request, match, "issues/comments#list-issue-comments", write=False)
        if denied:
            return denied
        repo, n = f"{match.group('owner')}/{match.group('repo')}", int(match.group("n"))
        base = self._base(request, match)
        items = [
            self._comment_json(c, base) for c in self.comments.values() if c.repo == repo and c.issue == n
        ]
        return self._page(request, items)

    def _create_comment(self, request: Request, match: re.Match[str]) -> Reply:
        doc = "issues/comments#create-an-issue-comment"
        denied = self._guard(request, match, doc, write=True)
        if denied:
            return denied
        text = self._comment_body(request, doc)
        if isinstance(text, Reply):
            return text
        repo = f"{match.group('owner')}/{match.group('repo')}"
        comment = Comment(self._next_comment, repo, int(match.group("n")), text, _now(), _now())
        self._next_comment += 1
        self.comments[comment.id] = comment
        return Reply(201, self._comment_json(comment, self._base(request, match)))

    def _update_comment(self, request: Request, match: re.Match[str]) -> Reply:
        doc = "issues/comments#update-an-issue-comment"
        denied = self._guard(request, match, doc, write=True)
        if denied:
            return denied
        comment = self.comments.get(int(match.group("id")))
        if comment is None or comment.repo != f"{match.group('owner')}/{match.group('repo')}":
            return _gh_error(404, "Not Found", doc)
        text = self._comment_body(request, doc)
        if isinstance(text, Reply):
            return text
        comment.body, comment.updated_at = text, _now()
        return Reply(200, self._comment_json(comment, self._base(request, match)))


def _object(request: Request) -> dict[str, Any] | None:
    try:
        body = request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _enum(name: str, value: Any, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        shown = ", ".join(f'"{a}"' for a in allowed)
        return f"For 'properties/{name}', \"{value}\" is not one of [{shown}]."
    return None


def validate_check_run(body: dict[str, Any]) -> str | None:
    """The checks GitHub applies to a create or update body (github-platform.md 7); None when valid."""
    status = body.get("status")
    if status in ACTIONS_ONLY_STATUSES:
        return f"Only GitHub Actions can set a status of {status}."
    problem = _enum("status", status, STATUSES) or _enum("conclusion", body.get("conclusion"), CONCLUSIONS)
    if problem:
        return problem
    if (status == "completed" or body.get("completed_at")) and not body.get("conclusion"):
        return '"conclusion" wasn\'t supplied.'
    if "actions" in body and (not isinstance(body["actions"], list) or len(body["actions"]) > 3):
        return "No more than 3 items are allowed; actions."
    output = body.get("output")
    if output is None:
        return None
    if not isinstance(output, dict):
        return "For 'properties/output', it is not an object."
    for key in ("title", "summary"):
        if not isinstance(output.get(key), str):
            return f'"{key}" wasn\'t supplied.'
    for key in ("summary", "text"):
        text = output.get(key)
        if isinstance(text, str) and len(text) > MAX_OUTPUT_CHARS:
            return f"Only {MAX_OUTPUT_CHARS} characters are allowed; {len(text)} were supplied."
    annotations = output.get("annotations") or []
    if not isinstance(annotations, list):
        return "For 'properties/annotations', it is not an array."
    if len(annotations) > MAX_ANNOTATIONS:
        return f"No more than {MAX_ANNOTATIONS} items are allowed; {len(annotations)} were supplied."
    for annotation in annotations:
        problem = _annotation_problem(annotation)
        if problem:
            return problem
    return None


def _annotation_problem(annotation: Any) -> str | None:
    if not isinstance(annotation, dict):
        return "For 'items', it is not an object."
    for key in ("path", "start_line", "end_line", "annotation_level", "message"):
        if key not in annotation:
            return f'"{key}" wasn\'t supplied.'
    if not isinstance(annotation["path"], str) or not annotation["path"]:
        return "For 'properties/path', it is not a non-empty string."
    for key in ("start_line", "end_line", "start_column", "end_column"):
        value = annotation.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            return f"For 'properties/{key}', {value!r} is not an integer."
    if annotation["end_line"] < annotation["start_line"]:
        return "end_line must be greater than or equal to start_line."
    if ("start_column" in annotation or "end_column" in annotation) and (
        annotation["start_line"] != annotation["end_line"]
    ):
        return "start_column and end_column may only be used on a single line."
    problem = _enum("annotation_level", annotation["annotation_level"], LEVELS)
    if problem:
        return problem
    title = annotation.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > MAX_TITLE_CHARS):
        return f"Only {MAX_TITLE_CHARS} characters are allowed; title."
    for key in ("message", "raw_details"):
        text = annotation.get(key)
        if text is None and key == "raw_details":
            continue
        if not isinstance(text, str):
            return f"For 'properties/{key}', it is not a string."
        size = len(text.encode("utf-8"))
        if size > MAX_ANNOTATION_BYTES:
            return f"{key} is too large: only {MAX_ANNOTATION_BYTES} bytes are allowed; {size} were supplied."
    return None
