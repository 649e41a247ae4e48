"""The simulators, keyed by the value of the `provider` input they stand in for. `testrun demo` offers these
providers and `testrun sandbox` serves them, in this order, on consecutive ports; a new provider's
simulators are one entry here (see `entry.SimulatorEntry`)."""

from __future__ import annotations

from .entries import buildkite, empirical, testsigma
from .entry import SimulatorEntry

SIMULATORS: dict[str, SimulatorEntry] = {
    entry.provider: entry for entry in (empirical.ENTRY, testsigma.ENTRY, buildkite.ENTRY)
}
