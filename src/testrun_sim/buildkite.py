"""A simulator of the Buildkite REST API parts the action uses (seed 004, providers.md section 3), scripted
per pipeline.

Builds move scheduled → running (→ failing) → passed / failed / blocked on the simulator's clock, or
canceling → canceled when cancelled. Each build's jobs upload results to a Test Engine run in the
pipeline's suite: the run appears mid-build, stays `running` until the uploads are processed, and can
reopen (finished → running → finished) when a late upload arrives, or turn `stale` when no results
come. Failed executions and the build's tests are paginated with `Link` headers. Every response
carries `RateLimit-*` headers for the organization and the user, and a request over either quota is
answered 429 with Buildkite's documented body (providers.md 3.4). Requests need a bearer token.

History: `seed_history` (or `PUT /_sim/history/{pipeline}` with a list of `PastBuild` fields, newest
first) adds earlier builds that ended before the test began, on a branch, with the named tests failed,
each with its finished Test Engine run and failed executions.

Admin endpoints (besides those of `server.App`):
    PUT /_sim/scenarios/{pipeline}   script a pipeline (fields of `Scenario`)
    PUT /_sim/history/{pipeline}     earlier builds of the pipeline (a list of `PastBuild` fields)
    PUT /_sim/rate-limits            {"organization", "user", "window"}: the quotas
    POST /_sim/builds                {"pipeline", "branch"?, "commit"?}: a build started by a push
    GET /_sim/builds                 every build with its request body, state and Test Engine run id

The `web_url`s point at `web` (buildkite.com by default); the simulator serves a small page of the build or
run there, without a token, for a sandbox whose `web` is its own address.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from .server import App, Reply, Request, dashboard, scripted

DEFAULT_TOKEN = "sim-buildkite-token"  # noqa: S105 - the simulator's own, not a secret
ORGANIZATION = "acme"
WEB = "https://buildkite.com"
# The dashboard's pages of a build and of a Test Engine run or test (paths as `web_url`s name them).
PAGE_BUILD = r"/([\w.-]+)/([\w.-]+)/builds/(\d+)"
PAGE_SUITE = r"/organizations/([\w.-]+)/analytics/suites/([\w.-]+)/(runs|tests)/([\w-]+)"
PAGES = (PAGE_BUILD, PAGE_SUITE)
CANCELING_SECONDS = 0.3
_NAMESPACE = uuid.UUID("7f1c5e8a-7d0e-4b8e-9a39-3a4f3c2d1b00")
_BUILD_KEYS = {
    "commit",
    "branch",
    "message",
    "author",
    "clean_checkout",
    "env",
    "ignore_pipeline_branch_filters",
    "meta_data",
    "pull_request_base_branch",
    "pull_request_id",
    "pull_request_labels",
    "pull_request_repository",
}  # fmt: skip  (builds.md, "Create a build")
_AREAS = [
    ("spec/features/checkout_spec.rb", "Checkout", ["applies a discount code", "charges the saved card"]),
    ("spec/features/login_spec.rb", "Login", ["signs in with email", "rejects a wrong password"]),
    ("spec/features/search_spec.rb", "Search", ["finds products by name", "filters by price"]),
    ("spec/features/cart_spec.rb", "Cart", ["adds an item", "keeps the cart after sign-in"]),
]


@dataclass
class Scenario:
    """How builds of one pipeline behave. Times are seconds on the simulator's clock."""

    scheduled: float = 0.3
    duration: float = 1.0
    tests: int = 12
    failed: int = 0
    flaky: int = 0  # failed once, then passed on retry
    skipped: int = 0
    end_state: str = ""  # the build's last state; default `failed` with failures, else `passed`
    blocked: bool = False  # the build stops at a block step
    uploads: bool = True  # the jobs upload results to Test Engine
    processing: float = 0.2  # the run stays `running` this long after the build ends
    reopen_after: float | None = None  # finished this long, then a late upload reopens it...
    reopen_for: float = 0.6  # ...for this long
    late_failed: int = 0  # failures in the late upload
    stale: bool = False  # the run gets no results and turns `stale`
    suite: str = "e2e"


@dataclass
class PastBuild:
    """An earlier build of a pipeline: its branch, the tests that failed, how long it took and when."""

    branch: str = "main"
    failed: list[str] = field(default_factory=list)  # test names, e.g. "Login signs in with email"
    duration: float = 300.0  # seconds
    ago: float = 3600.0  # it ended this many seconds before it was seeded
    commit: str | None = None  # its commit; by default one of its own
    # Its times say it began this many seconds after it was seeded, though it shows as ended: a later
    # build (of a sibling job, or a newer push) that finished before the history is read.
    began_after: float | None = None


@dataclass
class Case:
    id: str
    name: str
    scope: str
    location: str
    outcome: str  # passed | failed | flaky | skipped
    late: bool = False  # arrives with the late upload


@dataclass
class RateLimits:
    organization: int = 200  # providers.md 3.4
    user: int = 50
    window: float = 60.0


@dataclass
class SimBuild:
    id: str
    number: int
    pipeline: str
    scenario: Scenario
    body: dict[str, Any]
    created: float
    created_wall: datetime
    cases: list[Case]
    source: str = "api"
    cancelled_at: float | None = None

    @property
    def run_id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, self.id))


def make_cases(s: Scenario) -> list[Case]:
    outcomes = ["failed"] * s.failed + ["flaky"] * s.flaky + ["skipped"] * s.skipped
    outcomes += ["passed"] * max(0, s.tests - len(outcomes))
    outcomes += ["failed"] * s.late_failed
    cases = []
    for index, outcome in enumerate(outcomes):
        path, scope, names = _AREAS[index % len(_AREAS)]
        name = names[(index // len(_AREAS)) % len(names)]
        if index >= len(_AREAS) * 2:
            name += f" #{index // (len(_AREAS) * 2) + 1}"
        # Most locations are "./file:line"; every seventh has no line, as some uploaders send.
        location = f"./{path}" if index % 7 == 6 else f"./{path}:{10 + 7 * index}"
        late = index >= len(outcomes) - s.late_failed
        test_id = str(uuid.uuid5(_NAMESPACE, f"{scope}/{name}"))
        cases.append(Case(test_id, f"{scope} {name}", scope, location, outcome, late))
    return cases


class BuildkiteSimulator(App):
    def __init__(
        self,
        scenarios: dict[str, Scenario] | None = None,
        *,
        tokens: tuple[str, ...] = (DEFAULT_TOKEN,),
        rate_limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        web: str = WEB,
    ) -> None:
        super().__init__()
        self.scenarios = scenarios or {"e2e-tests": Scenario()}
        self.web = web  # where the answers' `web_url`s point: buildkite.com, or the simulator itself
        self.tokens = tokens
        self.rate_limits = rate_limits or RateLimits()
        self.clock = clock
        self.builds: list[SimBuild] = []
        self._window_start = clock()
        self._spent = 0
        self.windows: list[float] = []  # when each quota window began, on `clock`
        self.throttled = 0  # requests answered 429 for going over a quota
        org = r"/v2/organizations/([\w.-]+)"
        analytics = r"/v2/analytics/organizations/([\w.-]+)"
        self.route("POST", org + r"/pipelines/([\w.-]+)/builds", self._create)
        self.route("GET", org + r"/pipelines/([\w.-]+)/builds", self._list_builds)
        self.route("GET", org + r"/pipelines/([\w.-]+)/builds/(\d+)", self._get_build)
        self.route("PUT", org + r"/pipelines/([\w.-]+)/builds/(\d+)/cancel", self._cancel)
        self.route("GET", analytics + r"/suites", self._list_suites)
        self.route("GET", analytics + r"/suites/([\w.-]+)", self._get_suite)
        self.route("GET", analytics + r"/suites/([\w.-]+)/runs", self._list_runs)
        self.route("GET", analytics + r"/suites/([\w.-]+)/runs/([\w-]+)", self._get_run)
        self.route("GET", analytics + r"/suites/([\w.-]+)/runs/([\w-]+)/failed_executions", self._failed)
        self.route("GET", analytics + r"/builds/([\w-]+)/tests", self._build_tests)
        self.route("PUT", r"/_sim/scenarios/([\w.-]+)", self._script)
        self.route("PUT", r"/_sim/rate-limits", self._set_limits)
        self.route("PUT", r"/_sim/history/([\w.-]+)", self._script_history)
        self.route("POST", r"/_sim/builds", self._push)
        self.route("GET", r"/_sim/builds", lambda r, m: Reply(200, [self._admin(b) for b in self.builds]))
        # The dashboard's pages that `web_url`s name, as a browser asks for them: no token.
        self.route("GET", PAGE_BUILD, self._build_page)
        self.route("GET", PAGE_SUITE, self._suite_page)

    # -- the gate every API request passes: auth and quota ------------------------------------------
    def dispatch(self, request: Request) -> Reply:
        if request.path.startswith("/_sim/") or any(re.match(p + r"\Z", request.path) for p in PAGES):
            return super().dispatch(request)
        with self.lock:
            headers, refused = self._spend()
        auth = request.headers.get("authorization", "")
        if refused is None and (not auth.startswith("Bearer ") or auth[7:] not in self.tokens):
            message = "Authentication required. Please supply a valid API Access Token: https://buildkite.com/docs/apis/rest-api#authentication"
            refused = Reply(401, {"message": message})
        if refused is not None:
            with self.lock:
                self.record(request)
                self.requests[-1]["status"] = refused.status
            reply = refused
        else:
            reply = super().dispatch(request)
        reply.headers = {**headers, **reply.headers}
        return reply

    def _spend(self) -> tuple[dict[str, str], Reply | None]:
        limits, now = self.rate_limits, self.clock()
        if now - self._window_start >= limits.window:
            self._window_start, self._spent = now, 0
        if not self.windows or self.windows[-1] != self._window_start:
            self.windows.append(self._window_start)
        self._spent += 1
        reset = max(1, math.ceil(self._window_start + limits.window - now))
        headers = {
            "RateLimit-Scope": "rest",
            "RateLimit-Remaining": str(max(0, limits.organization - self._spent)),
            "RateLimit-Limit": str(limits.organization),
            "RateLimit-Reset": str(reset),
            "RateLimit-User-Scope": "rest_user",
            "RateLimit-User-Remaining": str(max(0, limits.user - self._spent)),
            "RateLimit-User-Limit": str(limits.user),
            "RateLimit-User-Reset": str(reset),
        }
        scope, limit = (
            ("rest_user", limits.user)
            if limits.user <= limits.organization
            else ("rest", limits.organization)
        )
        if self._spent <= limit:
            return headers, None
        self.throttled += 1
        headers[f"RateLimit{'-User' if scope == 'rest_user' else ''}-Warning"] = (
            "You have exceeded your API rate limit."
        )
        body = {
            "message": f"You have exceeded your API rate limit. Please wait {reset} seconds before making more requests.",
            "scope": scope, "limit": limit, "current": self._spent, "reset": reset,
        }  # fmt: skip
        return headers, Reply(429, body)

    # -- scripting --------------------------------------------------------------------------------
    def _script(self, request: Request, match: re.Match[str]) -> Reply:
        self.scenarios[match.group(1)] = scripted(Scenario, request.json() or {})
        return Reply(200, asdict(self.scenarios[match.group(1)]))

    def _script_history(self, request: Request, match: re.Match[str]) -> Reply:
        known = {f.name for f in fields(PastBuild)}
        specs = [PastBuild(**{k: v for k, v in item.items() if k in known}) for item in request.json() or []]
        try:
            self.seed_history(match.group(1), specs)
        except (KeyError, ValueError) as exc:
            return Reply(400, {"message": str(exc)})
        return Reply(200, {"seeded": len(specs)})

    def seed_history(self, pipeline: str, builds: list[PastBuild]) -> list[SimBuild]:
        """Add earlier builds of `pipeline` (newest first, as lists show them), ended before now."""
        base = self.scenarios[pipeline]
        seeded = []
        with self.lock:
            for past in reversed(builds):  # oldest first: numbers grow with time
                scenario = replace(
                    base, scheduled=0.0, duration=past.duration, failed=0, flaky=0, skipped=0, late_failed=0,
                    reopen_after=None, stale=False, blocked=False, uploads=True, processing=0.0,
                    end_state="failed" if past.failed else "passed",
                )  # fmt: skip
                cases = make_cases(scenario)
                unknown = sorted(set(past.failed) - {c.name for c in cases})
                if unknown:
                    raise ValueError(f"No test named {unknown[0]!r} in pipeline {pipeline!r}")
                for case in cases:
                    case.outcome = "failed" if case.name in past.failed else "passed"
                number = 1 + sum(1 for b in self.builds if b.pipeline == pipeline)
                began = past.ago + past.duration
                wall = -past.began_after if past.began_after is not None else began
                commit = past.commit or f"{number:040x}"
                build = SimBuild(
                    str(uuid.uuid4()), number, pipeline, scenario,
                    {"commit": commit, "branch": past.branch, "message": "Earlier build"},
                    self.clock() - began, datetime.now(UTC) - timedelta(seconds=wall), cases, "webhook",
                )  # fmt: skip
                self.builds.append(build)
                seeded.append(build)
        return seeded[::-1]

    def _set_limits(self, request: Request, match: re.Match[str]) -> Reply:
        known = {f.name for f in fields(RateLimits)}
        self.rate_limits = RateLimits(**{k: v for k, v in (request.json() or {}).items() if k in known})
        return Reply(200, asdict(self.rate_limits))

    def _push(self, request: Request, match: re.Match[str]) -> Reply:
        spec = request.json() or {}
        pipeline = spec.get("pipeline", "e2e-tests")
        if pipeline not in self.scenarios:
            return Reply(404, {"message": "No pipeline found"})
        body = {
            "commit": spec.get("commit", "a" * 40),
            "branch": spec.get("branch", "main"),
            "message": "Push",
        }
        return Reply(201, self._build_json(self.start_build(pipeline, body, source="webhook")))

    def start_build(self, pipeline: str, body: dict[str, Any], source: str = "api") -> SimBuild:
        build_id = str(uuid.uuid4())
        scenario = self.scenarios[pipeline]
        number = 1 + sum(1 for b in self.builds if b.pipeline == pipeline)
        build = SimBuild(
            build_id, number, pipeline, scenario, body, self.clock(), datetime.now(UTC),
            make_cases(scenario), source,
        )  # fmt: skip
        self.builds.append(build)
        return build

    def _admin(self, build: SimBuild) -> dict[str, Any]:
        return {
            "number": build.number,
            "pipeline": build.pipeline,
            "id": build.id,
            "state": self._state(build),
            "body": build.body,
            "cancelled": build.cancelled_at is not None,
            "run_id": build.run_id,
        }

    def _build_page(self, request: Request, match: re.Match[str]) -> Reply:
        found = self._find(match) if match.group(1) == ORGANIZATION else None
        return dashboard(
            f"Buildkite build {match.group(2)} #{match.group(3)}", self._admin(found) if found else None
        )

    def _suite_page(self, request: Request, match: re.Match[str]) -> Reply:
        kind, key = match.group(3), match.group(4)
        if kind == "tests":
            return dashboard(f"Buildkite test {key}", {"suite": match.group(2), "test": key})
        found = next((b for b in self.builds if b.run_id == key), None)
        return dashboard(f"Buildkite Test Engine run {key}", self._admin(found) if found else None)

    # -- builds -----------------------------------------------------------------------------------
    def _pipeline(self, match: re.Match[str]) -> Reply | None:
        if match.group(1) != ORGANIZATION:
            return Reply(404, {"message": "No organization found"})
        if match.group(2) not in self.scenarios:
            return Reply(404, {"message": "No pipeline found"})
        return None

    def _create(self, request: Request, match: re.Match[str]) -> Reply:
        missing = self._pipeline(match)
        if missing:
            return missing
        try:
            body = request.json()
        except ValueError:
            return Reply(400, {"message": "Problems parsing JSON"})
        errors = validate_build(body)
        if errors:
            return Reply(422, {"message": "Validation Failed", "errors": errors})
        return Reply(201, self._build_json(self.start_build(match.group(2), body)))

    def _find(self, match: re.Match[str]) -> SimBuild | None:
        number = int(match.group(3))
        return next((b for b in self.builds if b.pipeline == match.group(2) and b.number == number), None)

    def _get_build(self, request: Request, match: re.Match[str]) -> Reply:
        missing = self._pipeline(match)
        build = self._find(match)
        if missing or build is None:
            return missing or Reply(404, {"message": "No build found"})
        return Reply(200, self._build_json(build, jobs=request.query.get("exclude_jobs") != "true"))

    def _list_builds(self, request: Request, match: re.Match[str]) -> Reply:
        missing = self._pipeline(match)
        if missing:
            return missing
        q = request.query
        builds = [b for b in reversed(self.builds) if b.pipeline == match.group(2)]
        if "branch" in q:
            builds = [b for b in builds if b.body.get("branch") == q["branch"]]
        if "commit" in q:
            builds = [b for b in builds if b.body.get("commit") == q["commit"]]
        if "created_from" in q:
            since = datetime.fromisoformat(q["created_from"].replace("Z", "+00:00"))
            builds = [b for b in builds if b.created_wall >= since]
        return self._page(
            request, [self._build_json(b, jobs=q.get("exclude_jobs") != "true") for b in builds]
        )

    def _cancel(self, request: Request, match: re.Match[str]) -> Reply:
        missing = self._pipeline(match)
        build = self._find(match)
        if missing or build is None:
            return missing or Reply(404, {"message": "No build found"})
        if self._state(build) not in ("scheduled", "running", "failing"):
            return Reply(422, {"message": "Build can't be canceled because it's already finished"})
        build.cancelled_at = self.clock()
        return Reply(200, self._build_json(build))

    def _ends_at(self, build: SimBuild) -> float:
        s = build.scenario
        return build.created + s.scheduled + s.duration

    def _state(self, build: SimBuild) -> str:
        s, now = build.scenario, self.clock()
        if build.cancelled_at is not None:
            return "canceled" if now - build.cancelled_at >= CANCELING_SECONDS else "canceling"
        elapsed = now - build.created
        if elapsed < s.scheduled:
            return "scheduled"
        failing = s.failed or s.late_failed
        if now < self._ends_at(build):
            return "failing" if failing and elapsed > s.scheduled + s.duration / 2 else "running"
        if s.blocked:
            return "blocked"
        return s.end_state or ("failed" if failing else "passed")

    def _wall(self, build: SimBuild, moment: float) -> str:
        when = build.created_wall + timedelta(seconds=moment - build.created)
        return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _build_json(self, build: SimBuild, jobs: bool = True) -> dict[str, Any]:
        state, s = self._state(build), build.scenario
        started = build.created + s.scheduled
        ended = build.cancelled_at if build.cancelled_at is not None else self._ends_at(build)
        api = f"https://api.buildkite.com/v2/organizations/{ORGANIZATION}/pipelines/{build.pipeline}/builds/{build.number}"
        web = f"{self.web}/{ORGANIZATION}/{build.pipeline}/builds/{build.number}"
        finished = state in ("passed", "failed", "blocked", "canceled", "skipped", "not_run")
        data: dict[str, Any] = {
            "id": build.id, "url": api, "web_url": web, "number": build.number, "state": state,
            "blocked": state == "blocked", "cancel_reason": None, "message": build.body.get("message", ""),
            "commit": build.body["commit"], "branch": build.body["branch"], "env": build.body.get("env", {}),
            "source": build.source, "creator": {"id": "3d3c3bf0-7d58-4afe-8fe7-b3017d5504de", "name": "Sim User"},
            "created_at": self._wall(build, build.created), "scheduled_at": self._wall(build, build.created),
            "started_at": self._wall(build, started) if self.clock() >= started else None,
            "finished_at": self._wall(build, ended) if finished else None,
            "meta_data": build.body.get("meta_data", {}), "pull_request": None,
            "pipeline": {"slug": build.pipeline, "name": build.pipeline.replace("-", " ").title()},
        }  # fmt: skip
        if jobs:
            data["jobs"] = [{"id": str(uuid.uuid5(_NAMESPACE, build.id + "rspec")), "type": "script",
                             "name": ":rspec: E2E", "state": state, "web_url": web + "#rspec"}]  # fmt: skip
        return data

    # -- Test Engine ------------------------------------------------------------------------------
    def _suite(self, match: re.Match[str]) -> Reply | None:
        if match.group(1) != ORGANIZATION:
            return Reply(404, {"message": "No organization found"})
        if match.group(2) not in {s.suite for s in self.scenarios.values()}:
            return Reply(404, {"message": "No suite found"})
        return None

    def _suite_json(self, slug: str) -> dict[str, Any]:
        """A suite as `GET …/suites/{slug}` answers it (Buildkite's REST docs, test_engine/suites)."""
        return {
            "id": str(uuid.uuid5(_NAMESPACE, slug)),
            "slug": slug,
            "name": slug,
            "url": f"https://api.buildkite.com/v2/analytics/organizations/{ORGANIZATION}/suites/{slug}",
            "web_url": f"{WEB}/organizations/{ORGANIZATION}/analytics/suites/{slug}",
            "default_branch": "main",
        }

    def _list_suites(self, request: Request, match: re.Match[str]) -> Reply:
        if match.group(1) != ORGANIZATION:
            return Reply(404, {"message": "No organization found"})
        slugs = sorted({s.suite for s in self.scenarios.values()})
        return self._page(request, slugs, self._suite_json)

    def _get_suite(self, request: Request, match: re.Match[str]) -> Reply:
        missing = self._suite(match)
        return missing or Reply(200, self._suite_json(match.group(2)))

    def _run_exists(self, build: SimBuild) -> bool:
        s = build.scenario
        upload_at = build.created + s.scheduled + s.duration * 0.4
        cancelled_early = build.cancelled_at is not None and build.cancelled_at < upload_at
        return (s.uploads or s.stale) and self.clock() >= upload_at and not cancelled_early

    def _run_status(self, build: SimBuild) -> tuple[str, str, list[Case]]:
        """The run's state, result and the cases processed so far."""
        s, now = build.scenario, self.clock()
        ended = min(self._ends_at(build), build.cancelled_at or math.inf)
        processed = ended + s.processing
        seen = [c for c in build.cases if not c.late]
        if now < ended:  # results arrive job by job
            progress = (now - build.created - s.scheduled) / s.duration if s.duration else 1.0
            seen = seen[: int(len(seen) * max(0.0, min(1.0, progress)))]
        state = "running" if now < processed else "finished"
        if s.reopen_after is not None and now >= processed + s.reopen_after:
            seen = list(build.cases)
            state = "running" if now < processed + s.reopen_after + s.reopen_for else "finished"
        if s.stale:
            return "running", "stale" if now >= processed else "pending", []
        failing = any(c.outcome in ("failed", "flaky") for c in seen)
        result = "failed" if failing else "passed" if seen else "pending"
        return state, result, seen

    def _run_json(self, build: SimBuild) -> dict[str, Any]:
        state, result, _ = self._run_status(build)
        suite = build.scenario.suite
        path = f"{ORGANIZATION}/suites/{suite}/runs/{build.run_id}"
        return {
            "id": build.run_id, "branch": build.body["branch"], "commit_sha": build.body["commit"],
            "state": state, "result": result,
            "url": f"https://api.buildkite.com/v2/analytics/organizations/{path}",
            "web_url": f"{self.web}/organizations/{ORGANIZATION}/analytics/suites/{suite}/runs/{build.run_id}",
            "build_id": build.id, "created_at": self._wall(build, build.created + build.scenario.scheduled),
        }  # fmt: skip

    def _runs_of(self, suite: str) -> list[SimBuild]:
        return [b for b in reversed(self.builds) if b.scenario.suite == suite and self._run_exists(b)]

    def _list_runs(self, request: Request, match: re.Match[str]) -> Reply:
        missing = self._suite(match)
        if missing:
            return missing
        builds = self._runs_of(match.group(2))
        if "build_id" in request.query:
            builds = [b for b in builds if b.id == request.query["build_id"]]
        return self._page(request, [self._run_json(b) for b in builds])

    def _run_build(self, match: re.Match[str]) -> SimBuild | None:
        return next((b for b in self._runs_of(match.group(2)) if b.run_id == match.group(3)), None)

    def _get_run(self, request: Request, match: re.Match[str]) -> Reply:
        build = self._run_build(match)
        if self._suite(match) or build is None:
            return Reply(404, {"message": "No run found"})
        return Reply(200, self._run_json(build))

    def _failed(self, request: Request, match: re.Match[str]) -> Reply:
        build = self._run_build(match)
        if self._suite(match) or build is None:
            return Reply(404, {"message": "No run found"})
        _, _, seen = self._run_status(build)
        expanded = request.query.get("include_failure_expanded") == "true"
        failed = [c for c in seen if c.outcome in ("failed", "flaky")]
        return self._page(request, failed, lambda c: self._execution(build, c, expanded))

    def _execution(self, build: SimBuild, case: Case, expanded: bool) -> dict[str, Any]:
        execution_id = str(uuid.uuid5(_NAMESPACE, build.id + case.id))
        suite_web = f"{self.web}/organizations/{ORGANIZATION}/analytics/suites/{build.scenario.suite}"
        item: dict[str, Any] = {
            "execution_id": execution_id, "run_id": build.run_id, "test_id": case.id, "run_name": build.run_id,
            "commit_sha": build.body["commit"], "created_at": self._wall(build, build.created),
            "branch": build.body["branch"], "failure_reason": f"expected the {case.scope.lower()} page to respond",
            "duration": _duration_of(case.id), "location": case.location, "test_name": case.name,
            "run_url": f"{suite_web}/runs/{build.run_id}", "test_url": f"{suite_web}/tests/{case.id}",
            "test_execution_url": f"{suite_web}/tests/{case.id}?execution_id={execution_id}",
            "tags": {"language.name": "ruby"},
        }  # fmt: skip
        if expanded:
            file = case.location.lstrip("./").split(":")[0]
            item["failure_expanded"] = [{"expanded": ["  expected: 200", "       got: 502"],
                                         "backtrace": [f"./{file}:25:in `block (2 levels)'"]}]  # fmt: skip
        return item

    def _build_tests(self, request: Request, match: re.Match[str]) -> Reply:
        if match.group(1) != ORGANIZATION:
            return Reply(404, {"message": "No organization found"})
        build = next((b for b in self.builds if b.id == match.group(2)), None)
        if build is None:
            return Reply(404, {"message": "No build found"})
        _, _, seen = self._run_status(build) if self._run_exists(build) else ("", "", [])
        counts = {"passed": {"passed": 1, "failed": 0}, "failed": {"passed": 0, "failed": 1},
                  "flaky": {"passed": 1, "failed": 1}, "skipped": {"passed": 0, "failed": 0, "skipped": 1}}  # fmt: skip
        suite = build.scenario.suite

        def render(case: Case | None) -> dict[str, Any]:
            if case is None:  # the endpoint lists every suite's tests: one from another suite, failing
                return self._test(str(uuid.uuid4()), "Money rounds half up", "./spec/money_spec.rb:3", "unit",
                                  {"passed": 0, "failed": 1}, self.web)  # fmt: skip
            return self._test(case.id, case.name, case.location, suite, counts[case.outcome], self.web)

        tests: list[Case | None] = [*seen, None] if seen else []
        return self._page(request, tests, render)

    @staticmethod
    def _test(
        test_id: str, name: str, location: str, suite: str, by_result: dict[str, int], web: str = WEB
    ) -> dict[str, Any]:
        path = f"{ORGANIZATION}/suites/{suite}/tests/{test_id}"
        return {
            "id": test_id, "url": f"https://api.buildkite.com/v2/analytics/organizations/{path}",
            "web_url": f"{web}/organizations/{ORGANIZATION}/analytics/suites/{suite}/tests/{test_id}",
            "scope": name.split(" ")[0], "name": name, "location": location,
            "file_name": location.split(":")[0], "executions_count": sum(by_result.values()),
            "executions_count_by_result": by_result,
        }  # fmt: skip

    # -- pagination -------------------------------------------------------------------------------
    def _page(
        self, request: Request, items: list[Any], render: Callable[[Any], dict[str, Any]] = lambda item: item
    ) -> Reply:
        """`page` / `per_page` (default 30, max 100) with an RFC 8288 `Link` header (providers.md 3.4).
        `render` turns an item into JSON: only the page's own items are rendered, so that reading a
        list of 10,000 page by page costs the simulator 10,000 renderings, not a million."""
        q = request.query
        try:
            page = max(1, int(q.get("page", "1")))
            per_page = min(100, max(1, int(q.get("per_page", "30"))))
        except ValueError:
            return Reply(400, {"message": "page and per_page must be numbers"})
        last = max(1, math.ceil(len(items) / per_page))
        base = f"http://{request.headers.get('host', '127.0.0.1')}{request.path}"

        def link(number: int, rel: str) -> str:
            query = {k: v for k, v in q.items() if k not in ("page", "per_page")}
            return f'<{base}?{urlencode({**query, "page": number, "per_page": per_page})}>; rel="{rel}"'

        links = []
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        headers = {"Link": ", ".join(links)} if links else {}
        return Reply(200, [render(item) for item in items[(page - 1) * per_page : page * per_page]], headers)


def validate_build(body: Any) -> list[str]:
    """The create-build request as the service checks it; [] when valid."""
    if not isinstance(body, dict):
        return ["Request body must be a JSON object"]
    errors = [f"{key} is not a recognised attribute" for key in sorted(set(body) - _BUILD_KEYS)]
    for key in ("commit", "branch"):
        if not isinstance(body.get(key), str) or not body[key].strip():
            errors.append(f"{key} can't be blank")
    for key in ("env", "meta_data"):
        value = body.get(key, {})
        if not isinstance(value, dict) or any(not isinstance(v, str) for v in value.values()):
            errors.append(f"{key} must be an object of strings")
    if "message" in body and not isinstance(body["message"], str):
        errors.append("message must be a string")
    if "pull_request_id" in body and (
        not isinstance(body["pull_request_id"], int) or body["pull_request_id"] < 1
    ):
        errors.append("pull_request_id must be a positive integer")
    return errors


def _duration_of(case_id: str) -> float:
    """A failed execution's `duration` in seconds (providers.md 3.3: 3.79073 in the docs' example),
    varied per test so that the slowest tests differ."""
    return round(1.0 + int(uuid.uuid5(_NAMESPACE, case_id).hex[:4], 16) / 65535 * 20, 5)
