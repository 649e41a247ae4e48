"""CONTRIBUTING.md's "Adding a provider" stays true: it names every field of `ProviderSpec`, and the Echo
provider of the test suite is built by exactly those steps."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

from testrun_action.inputs import Input
from testrun_action.providers.base import HttpProvider
from testrun_action.providers.registry import ProviderSpec, specs
from testrun_action.settings import Settings

from . import echo

ROOT = Path(__file__).resolve().parent.parent


def section() -> str:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    found = re.search(r"^## Adding a provider\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    assert found, "CONTRIBUTING.md has no section `## Adding a provider`"
    return found.group(1)


def test_adding_a_provider_names_every_field_of_the_spec() -> None:
    named = set(re.findall(r"`(\w+)`", section()))

    missing = [f.name for f in dataclasses.fields(ProviderSpec) if f.name not in named]

    assert missing == []


def test_the_echo_provider_has_exactly_the_files_the_steps_name() -> None:
    files = set(re.findall(r"`<name>/(\w+\.py)`", section()))
    assert files == {"__init__.py", "settings.py", "client.py", "history.py", "simulator.py"}

    # history.py is for a service that lists earlier runs; the echo service keeps none.
    echo_files = {p.name for p in Path(echo.__file__).parent.glob("*.py")}
    assert echo_files == files - {"history.py"}


def test_the_echo_spec_is_made_as_the_steps_say() -> None:
    spec = echo.SPEC
    from .echo import settings as echo_settings

    assert spec.inputs == echo_settings.INPUTS
    assert all(isinstance(i, Input) for i in spec.inputs)
    assert issubclass(spec.settings, Settings)
    assert spec.read_settings is echo_settings.read_settings
    assert spec.error_codes is echo.ERROR_CODES
    from .echo.client import EchoProvider

    assert issubclass(EchoProvider, HttpProvider)
    assert {"send_trigger", "not_adopted"} <= set(vars(EchoProvider))


def test_specs_import_no_client_until_one_is_created() -> None:
    """Only the chosen provider's client is imported on the way to the trigger (start-up time)."""
    probe = (
        "import sys; import tests.echo; from testrun_action.providers.registry import specs; specs(); "
        "print(sorted(m for m in sys.modules if m.endswith(('.client', '.history'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert len(specs()) >= 3
