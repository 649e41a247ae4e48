"""What every provider over HTTP shares: its client, built from the wiring, and the trigger's safe rule.

- `self.http` is one `HttpClient` on the `api-url`, with the key as a bearer token, and the wiring's
  clock, log, transport and retry policy: what a test or the post step sets reaches every provider.
- `trigger_or_adopt`: send the trigger once. When its answer is uncertain (it may have been received),
  never send it again: look for the run it may have created (`own_run`, by the rule in `adoption`),
  follow that run when exactly one proves it, else fail with `TriggerUncertain`. `trigger` is that for
  a provider whose trigger answers with a run: it gives `send_trigger` and `not_adopted`.
- `readable` and `service_offset`, for `own_run`: the entries of a run list that can be read, and the
  service's clock against ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from .. import __version__
from ..errors import DeliveryUncertain, ServiceError, TriggerUncertain
from ..http import HttpClient
from .adoption import Candidate, clock_offset, uncertain

if TYPE_CHECKING:
    from ..clock import Deadline
    from ..model import TestRun
    from ..settings import Settings
    from . import Wiring

Found = TypeVar("Found")
Item = TypeVar("Item", bound=BaseModel)


class HttpProvider:
    """The base of a provider whose service speaks JSON over HTTP with a bearer key."""

    name = "the service"  # shown to users: its `ProviderSpec.display_name`
    adoption_pauses: tuple[float, ...] = (0.0,)  # `trigger`: when to look for the run it may have made

    def __init__(
        self,
        settings: Settings,
        wiring: Wiring,
        *,
        headers: Mapping[str, str] | None = None,
        error_message: Callable[[Any], Any] | None = None,
    ) -> None:
        """`headers`: sent with every request besides the key; `error_message`: where the service's
        error answers put the reason (`HttpClient`)."""
        self._clock = wiring.clock
        self._log = wiring.log
        self._headers = {
            "User-Agent": f"testrun-action/{__version__}",
            "Accept": "application/json",
            **(headers or {}),
        }
        self.http = HttpClient(
            service=self.name,
            base_url=settings.api_url,
            headers={**self._headers, "Authorization": f"Bearer {settings.api_key.get_secret_value()}"},
            clock=wiring.clock,
            log=wiring.log,
            transport=wiring.transport,
            policy=wiring.policy,
            error_message=error_message,
            url_example=_default_api_url(settings.provider),
        )
        self._seen: list[Candidate] = []  # recent runs of the last lookup, linked when none is ours

    def close(self) -> None:
        self.http.close()

    @property
    def marker(self) -> str | None:
        """What the next trigger marks its run with, where the service keeps such a value; else None."""
        return None

    def trigger(self, deadline: Deadline) -> TestRun:
        """Trigger a run once; on an uncertain answer, the run it provably created (`trigger_or_adopt`)."""
        self.remember_trigger(datetime.now(UTC), self.marker)
        return self.trigger_or_adopt(
            lambda: self.send_trigger(deadline),
            lambda: self.own_run(deadline),
            deadline,
            noun="run",
            missing=self.not_adopted(),
            label=lambda run: f"run {run.id}",
            pauses=self.adoption_pauses,
        )

    def send_trigger(self, deadline: Deadline) -> TestRun:
        """Send the trigger, once (`repeatable=False`); the run its answer describes."""
        raise NotImplementedError

    def not_adopted(self) -> str:
        """Why no run was found to be the trigger's, in words for the error (`adoption.uncertain`)."""
        raise NotImplementedError

    def remember_trigger(self, at: datetime, marker: str | None) -> None:
        raise NotImplementedError

    def own_run(self, deadline: Deadline) -> TestRun | None:
        raise NotImplementedError

    def readable(self, listed: Iterable[Any], model: type[Item]) -> Iterator[tuple[dict[str, Any], Item]]:
        """The entries of a run list that read as `model`, each with its JSON object."""
        for raw in listed:
            try:
                yield raw, model.model_validate(raw)
            except ValueError:
                continue  # an entry that can't be read can't be proven ours

    def service_offset(self) -> timedelta:
        """The service's clock minus ours, from its last answer's `Date` (`adoption.clock_offset`)."""
        return clock_offset(self.http.last_headers, datetime.now(UTC))

    def trigger_or_adopt(
        self,
        send: Callable[[], Found],
        find: Callable[[], Found | None],
        deadline: Deadline,
        *,
        noun: str,
        missing: str,
        label: Callable[[Found], str],
        pauses: tuple[float, ...] = (0.0,),
    ) -> Found:
        """`send` the trigger once; when its answer is uncertain, what `find` proves it created, looked
        for after each of `pauses` (the service may still be creating it). `noun` names what a trigger
        creates ("run"), `label` one found ("run 12"), `missing` what was not found, for the error."""
        try:
            return send()
        except DeliveryUncertain as exc:
            cause = exc.message
        self._log(f"{cause} Looking for the {noun} it may have created.")
        for pause in pauses:
            if pause > 0:
                if pause >= deadline.remaining():
                    break
                self._clock.sleep(pause)
            try:
                found = find()
            except TriggerUncertain as exc:
                raise TriggerUncertain(f"{cause} {exc.message}") from None
            except ServiceError as exc:
                raise TriggerUncertain(
                    f"{cause} Could not check for a {noun} it created: {exc.message} Not triggering again."
                ) from None
            if found is not None:
                self._log(f"Found {label(found)}, created by the trigger; following it.")
                return found
        raise uncertain(missing, self._seen, cause)


def _default_api_url(provider: str) -> str | None:
    """The provider's default `api-url`, shown as the expected form when an answer suggests a wrong one."""
    from .registry import spec_named

    try:
        return spec_named(provider).api_url
    except KeyError:  # a provider built outside the registry (a test's)
        return None
