"""What can be checked before a build is triggered: that the pipeline and the Test Engine suite exist.

A misspelt suite is otherwise found only after the build ran to its end without a Test Engine run;
checked first, it is an input error (exit 2) and no build is made.

    pipeline  GET /v2/organizations/{org}/pipelines/{pipeline}/builds?per_page=1   scope read_builds
    suite     GET /v2/analytics/organizations/{org}/suites/{suite}                 scope read_suites
    suites    GET /v2/analytics/organizations/{org}/suites                         providers.md 3.2

Both read with the scopes the action needs anyway (providers.md 3.6): reading the pipeline itself would
need `read_pipelines`, which a token made for the action may lack, so its first build is read instead
(a pipeline with no builds answers an empty list, a missing one 404). A refused key fails as any
request does; a check the service cannot answer (5xx past the retries, an unreadable answer) does
not stop the trigger: it is said in one line, and the build is triggered as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ... import envelopes
from ...clock import Deadline
from ...errors import ConfigurationError, MalformedResponse, RequestRejected, ServiceUnavailable
from ...http import HttpClient
from .settings import BuildkiteSettings

SUITES_SHOWN = 10  # suite slugs named in the error: enough to spot a typo, short enough for one line
_SLUG = re.compile(r"[\w.-]{1,100}", re.ASCII)
SUITES_READ = 100  # the suite list's first page, its largest (providers.md 3.4, per_page max 100)


def check_target(
    http: HttpClient, settings: BuildkiteSettings, deadline: Deadline, warn: Callable[[str], None]
) -> None:
    """Raise a `ConfigurationError` naming the input when the organization, the pipeline or the suite
    does not exist; `warn` when the check could not be made."""
    try:
        _check_pipeline(http, settings, deadline)
        if settings.suite:
            _check_suite(http, settings, deadline)
    except (ServiceUnavailable, MalformedResponse) as exc:
        warn(
            f"Could not check the pipeline and suite before triggering, so the build is triggered anyway: {exc.message}"
        )


def _check_pipeline(http: HttpClient, settings: BuildkiteSettings, deadline: Deadline) -> None:
    org, pipeline = settings.organization, settings.pipeline
    status, answer = http.json(
        "GET",
        f"/v2/organizations/{org}/pipelines/{pipeline}/builds",
        params={"per_page": 1, "exclude_jobs": "true"},
        deadline=deadline,
        accept=(404,),
    )
    if status == 404:
        _missing_organization(answer, org)
        said = _said(answer)
        raise ConfigurationError(
            "pipeline",
            f'no pipeline "{pipeline}" in organization "{org}" visible to this token'
            + (f" ({said})." if said else "."),
        )


def _check_suite(http: HttpClient, settings: BuildkiteSettings, deadline: Deadline) -> None:
    org, suite = settings.organization, settings.suite
    status, answer = http.json(
        "GET", f"/v2/analytics/organizations/{org}/suites/{suite}", deadline=deadline, accept=(404,)
    )
    if status != 404:
        return
    _missing_organization(answer, org)
    raise ConfigurationError(
        "suite", f'no Test Engine suite "{suite}" in organization "{org}" ({_suites(http, org, deadline)}).'
    )


def _said(answer: Any) -> str:
    """Buildkite's own words in a 404 (`{"message": "No pipeline found"}`), clipped."""
    return envelopes.said(answer)


def _missing_organization(answer: Any, org: str) -> None:
    if "organization" in _said(answer).lower():
        raise ConfigurationError("organization", f'no organization "{org}" visible to this token.')


def _suites(http: HttpClient, org: str, deadline: Deadline) -> str:
    """`suites: a, b`: the organization's suites, from the list's first page, or why they are not named."""
    try:
        _, listed = http.json(
            "GET",
            f"/v2/analytics/organizations/{org}/suites",
            params={"per_page": SUITES_READ},
            deadline=deadline,
        )
    except (ServiceUnavailable, MalformedResponse, RequestRejected):  # only the error's detail is lost
        return "the list of suites could not be read"
    items = listed if isinstance(listed, list) else []
    slugs = [  # the service's text: only what reads as a slug is repeated
        item["slug"] for item in items if isinstance(item, dict) and _SLUG.fullmatch(str(item.get("slug")))
    ]
    if not slugs:  # the old trigger-time error's advice (client.py): scope, or Test Engine off
        return (
            "no suites visible to this token: check its `read_suites` scope and that Test Engine is enabled"
        )
    shown = ", ".join(slugs[:SUITES_SHOWN])
    more = len(slugs) - SUITES_SHOWN
    return f"suites: {shown}" + (
        f" and {more}{'+' if len(slugs) == SUITES_READ else ''} more" if more > 0 else ""
    )
