"""Which earlier runs a run is compared with, and which make its trend.

Only runs that started before this one, on another commit: a run of the same commit is this change
(a sibling job of a matrix, a re-run), not the baseline, and a run that started later is not the past.
A run whose start is unknown cannot be shown to be earlier and is left out. When this run's own start
is unknown, the time is not filtered on (each history reader says when that can happen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .adoption import parse_time

SHORT_SHA = 7  # git's default abbreviation: a commit named by at least this many hex digits


@dataclass(frozen=True, slots=True)
class Baseline:
    started: datetime | None  # this run's start, on the service's clock
    commit: str | None  # this run's commit (or the service's stand-in for one), None when unknown

    @classmethod
    def of(cls, created_at: str | None, commit: str | None) -> Baseline:
        return cls(parse_time(created_at), commit or None)

    def admits(self, started: object, commit: object) -> bool:
        """Whether an ended run that started at `started` (ISO 8601 or epoch ms) on `commit` is history."""
        if same_commit(self.commit, commit):
            return False
        if self.started is None:
            return True
        when = parse_time(started)
        return when is not None and when < self.started


def same_commit(ours: str | None, theirs: object) -> bool:
    """Full and abbreviated SHAs name the same commit when one starts with the other."""
    if not ours or not isinstance(theirs, str) or not theirs.strip():
        return False
    a, b = ours.strip().lower(), theirs.strip().lower()
    if a == b:
        return True
    return min(len(a), len(b)) >= SHORT_SHA and (a.startswith(b) or b.startswith(a))
