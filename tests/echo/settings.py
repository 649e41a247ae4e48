"""Echo's settings: the common ones and its own two inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from testrun_action import parsing
from testrun_action.errors import ConfigurationError
from testrun_action.inputs import Input
from testrun_action.settings import Settings

INPUTS = (
    Input("echo-word", "Echo: the word the service echoes back as a run; required with `provider: echo`."),
    Input("echo-failures", "Echo: how many of the run's tests fail (0 to 10)."),
)


class EchoSettings(Settings):
    word: str
    failures: int

    @property
    def target(self) -> str:
        return f"the word '{self.word}'"


def read_settings(raw: Mapping[str, str], common: Mapping[str, Any]) -> dict[str, Any]:
    word = parsing.text("echo-word", raw["echo-word"], max_length=40)
    if word is None:
        raise ConfigurationError("echo-word", "is required with `provider: echo`: the word to echo.")
    failures = parsing.integer("echo-failures", raw["echo-failures"], minimum=0, maximum=10)
    return {"word": word, "failures": failures or 0, "environment": common["environment"] or word}
