"""What the publishers made, handed on as values.

Each publisher returns a `Receipts` from `finished`: the check run's page, the JUnit file's path, the
Test Management record. The step outputs, the job summary and the pull-request comment are rendered
last from the report and the receipts together, so no publisher reads another's state or depends on
the order they run in. An empty field is something that was not made.

A publisher cut short, by a signal (`Interrupted`) or a defect, would lose what it had already made,
such as a check run created at the start or a record created before its import failed: `handing_on`
hands that on with the signal (`CutShort`) or the error (`Unfinished`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .errors import Interrupted


@dataclass(frozen=True, slots=True)
class Recorded:
    """A record of the run another service keeps, for a line in the job summary."""

    service: str  # e.g. "Testsigma Test Management"
    shown_id: str  # the id people see there
    note: str  # what became of the record, in one sentence


@dataclass(frozen=True, slots=True)
class Receipts:
    check_run_url: str = ""  # the check run's page, shown safe (`untrusted.shown_url`)
    junit_file: str = ""  # the JUnit file written
    tms_run_id: str = ""  # the Test Management test run's id
    recorded: tuple[Recorded, ...] = ()

    def __or__(self, other: Receipts) -> Receipts:
        """Both receipts in one: a field made by `other` is taken from it, and the records add up."""
        made = {
            field.name: value
            for field in dataclasses.fields(other)
            if field.name != "recorded" and (value := getattr(other, field.name))
        }
        return dataclasses.replace(self, **made, recorded=self.recorded + other.recorded)


class CutShort(Interrupted):
    """A signal arrived while a publisher was writing; carries what the publisher had made by then."""

    def __init__(self, signum: int, receipts: Receipts) -> None:
        super().__init__(signum)
        self.receipts = receipts


class Unfinished(Exception):
    """A publisher failed part-way with `cause`; carries what it had made by then."""

    def __init__(self, cause: Exception, receipts: Receipts) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.receipts = receipts


@contextlib.contextmanager
def handing_on(made: Callable[[], Receipts]) -> Iterator[None]:
    """Run the block; a signal or an error that cuts it short still hands on `made()`, what exists by
    then."""
    try:
        yield
    except (CutShort, Unfinished):
        raise
    except Interrupted as interruption:
        raise CutShort(interruption.signum, made()) from None
    except Exception as exc:
        raise Unfinished(exc, made()) from exc
