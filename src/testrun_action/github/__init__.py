"""GitHub: the API (PyGithub lives in `api` alone, loaded only when something is sent), the check-run
publisher and the pull-request comment writer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..context import GitHubContext
from ..gha import Actions
from ..settings import Settings

if TYPE_CHECKING:
    from .api import GitHubApi


def connect(settings: Settings, context: GitHubContext, gha: Actions) -> GitHubApi:
    from .api import GitHubApi  # PyGithub loads only when there is something to send

    assert settings.github_token is not None
    assert context.repository is not None
    return GitHubApi(
        api_url=context.api_url,
        token=settings.github_token.get_secret_value(),
        repository=context.repository,
        log=gha.log,
    )
