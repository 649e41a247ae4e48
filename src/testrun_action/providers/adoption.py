"""Which run did an ambiguous trigger create? One rule for every provider: adopt only what is provably ours.

After a trigger whose answer was lost, late or unreadable, a run is adopted only when it is the one
candidate in the service's list that
- carries the trigger's unique marker, where the trigger can send one that the list returns
  (Buildkite's build `env`); otherwise matches every field the trigger sent that the list returns
  (environment, commit, branch, build URL, version): a field missing from the entry is no match;
- was created at or after the moment the trigger was sent, on the service's clock: the offset between
  the clocks is measured from the `Date` header of the list's own answer;
- had not already ended before that moment.

No candidate, or several: the outcome is unknown ("could not tell which run the trigger created"),
with the candidates' links. Never a guess: two matrix jobs on the same commit trigger within the same
second, and a guess would report the other job's run as this one's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from ..errors import TriggerUncertain

# The `Date` header has a resolution of one second (RFC 9110, 5.6.7) and is stamped while the answer is
# being sent: one second for each, so that a run created in the same second as the trigger still counts.
MARGIN = timedelta(seconds=2)
SHOWN = 5  # candidates' links listed when none or several match


@dataclass(frozen=True, slots=True)
class Sent:
    """What a trigger sent, as far as a list of runs can show it."""

    at: datetime  # our clock, UTC, just before the request left
    fields: Mapping[str, str]  # name -> value, for each field the trigger sent that the list returns
    marker: str | None = None  # a unique value the list returns, where the trigger can carry one


@dataclass(frozen=True, slots=True)
class Candidate:
    """A run as the service's list shows it."""

    run_id: str
    url: str
    created_at: datetime | None
    fields: Mapping[str, str | None] = field(default_factory=dict)
    marker: str | None = None
    ended_at: datetime | None = None  # when it ended, for a run that has


def parse_time(value: object) -> datetime | None:
    """ISO 8601 (`2024-05-29T07:29:19.123Z`) or epoch milliseconds; None when neither."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value / 1000, UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def clock_offset(headers: Mapping[str, str], read_at: datetime) -> timedelta:
    """The service's clock minus ours, from its answer's `Date` header (0 when there is none)."""
    date = headers.get("date")
    if not date:
        return timedelta(0)
    try:
        theirs = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return timedelta(0)
    if theirs.tzinfo is None:
        theirs = theirs.replace(tzinfo=UTC)
    return theirs - read_at


def matches(candidate: Candidate, sent: Sent, since: datetime) -> bool:
    if sent.marker is not None and candidate.marker != sent.marker:
        return False
    if any(candidate.fields.get(name) != value for name, value in sent.fields.items()):
        return False
    if candidate.created_at is None or candidate.created_at < since:
        return False
    return candidate.ended_at is None or candidate.ended_at >= since


def choose(candidates: Sequence[Candidate], sent: Sent, offset: timedelta) -> Candidate | None:
    """The one candidate that is provably ours; None when there is none (yet); `TriggerUncertain` when
    several match."""
    since = sent.at + offset - MARGIN
    found = [c for c in candidates if matches(c, sent, since)]
    if len(found) > 1:
        raise uncertain("several runs match it", found)
    return found[0] if found else None


def uncertain(why: str, candidates: Sequence[Candidate], cause: str = "") -> TriggerUncertain:
    links = ", ".join(f"run {c.run_id}: {c.url}" for c in candidates[:SHOWN])
    more = f" (and {len(candidates) - SHOWN} more)" if len(candidates) > SHOWN else ""
    listed = f" Candidates: {links}{more}." if links else ""
    prefix = f"{cause} " if cause else ""
    return TriggerUncertain(
        f"{prefix}The action could not tell which run the trigger created ({why}); not triggering again, "
        f"to avoid a duplicate run.{listed}"
    )
