"""Hostile servers, measured: the real process (`python -m testrun_action`) against a hostile proxy on
127.0.0.1 (`testrun_sim.hostile`) in front of the simulators. For each case: the exit
code, the wall time against its budget, and the process's peak resident memory.

    .venv/bin/python -m benchmarks.hostile                          # this tree
    .venv/bin/python -m benchmarks.hostile --before /tmp/old/src    # and another version, side by side

`--before` takes the `src` directory of another version of the action (e.g. `git archive <commit> src`);
its process runs with that on PYTHONPATH, against the same servers. Not part of `make bench`: a version
without the limits takes minutes (the proxy stops trickling after `hostile.LONGEST` seconds). Two tables,
the network cases here and the reports-and-inputs cases of `benchmarks.hostile_reports`, go to stdout
and `benchmarks/results/hostile.md`; peak memory is read as `benchmarks.proxied` says.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from testrun_sim.empirical import Scenario
from testrun_sim.hostile import Rule

from . import hostile_reports
from .proxied import Row, Setup, case, said, seen

RESULT = Path(__file__).resolve().parent / "results" / "hostile.md"
TRIGGER_ANSWER = b'{"data": {"id": 1001, "url": "https://dash.empirical.run/p/test-runs/1001"}}'
STATUS = r"^/api/test-runs$"
SHORT = Scenario(queued=0.1, duration=0.5, tests=6)


def _following(setup: Setup) -> Callable[[], bool]:
    return seen(setup.service, "GET", "/api/test-runs", count=2)


# -- the cases ------------------------------------------------------------------------------------
def status_check(src: Path | None, work: Path) -> Row:
    rule = Rule("GET", STATUS, "trickle", every=2.0)
    step, _ = case(src, work, rules=(("service", rule),), timeout_minutes="0.3")
    return step.row(
        "status check trickled (1 byte / 2 s)", "18 s deadline", said(step.log, "did not end within")
    )


def trigger(src: Path | None, work: Path) -> Row:
    rule = Rule("PUT", STATUS, "trickle", every=2.0, body=TRIGGER_ANSWER)
    step, _ = case(src, work, rules=(("service", rule),), timeout_minutes="0.3")
    return step.row("trigger trickled", "18 s deadline", said(step.log, "no complete answer"))


def silent(src: Path | None, work: Path) -> Row:
    step, _ = case(src, work, rules=(("service", Rule("*", r"^/api/", "silent")),), timeout_minutes="0.3")
    return step.row("service never answers", "18 s deadline")


def silent_untimed(src: Path | None, work: Path) -> Row:
    # The default timeout-minutes (30): only the retries bound the wait, 30 s of silence each.
    step, _ = case(src, work, rules=(("service", Rule("*", r"^/api/", "silent")),))
    return step.row("service never answers, default timeout-minutes", "the retries")


def cancel(src: Path | None, work: Path) -> Row:
    # Faster than the 1.5 s the cancel gets (flow.CANCEL_SECONDS), so no socket read times out.
    rule = Rule("POST", r"/cancel$", "trickle", every=1.0)
    step, _ = case(src, work, rules=(("service", rule),), ready=_following)
    return step.row("remote cancel after SIGTERM trickled (1 byte / s)", "1.5 s; exit ≤ 5 s after the signal")


def patch(src: Path | None, work: Path) -> Row:
    rule = Rule("PATCH", r"/check-runs/", "trickle", every=2.0)
    step, _ = case(src, work, scenario=SHORT, rules=(("github", rule),))
    return step.row(
        "check-run PATCH trickled", "60 s (+ the run, ~2 s)", said(step.log, "no complete answer")
    )


def post_step(src: Path | None, work: Path) -> Row:
    rule = Rule("GET", r"^/api/test-runs", "trickle", every=2.0)
    step, _ = case(src, work, rules=(("service", rule),), env={"STATE_run_id": "1001"}, args=("post",))
    return step.row("post step, status check trickled", "60 s")


def bomb(src: Path | None, work: Path) -> Row:
    rule = Rule("GET", STATUS, "bomb", times=2, size=1 << 30)
    step, _ = case(src, work, scenario=SHORT, rules=(("service", rule),))
    return step.row("gzip bomb, 1 MB → 1 GiB (2 status checks)", "10 MB", said(step.log, "larger than"))


def huge_json(src: Path | None, work: Path) -> Row:
    rule = Rule("GET", STATUS, "huge", times=2, size=200_000_000)
    step, _ = case(src, work, scenario=SHORT, rules=(("service", rule),))
    return step.row("200 MB JSON, no length (2 status checks)", "10 MB", said(step.log, "larger than"))


def junit(src: Path | None, work: Path) -> Row:
    rule = Rule("GET", r"^/api/v1/reports/junit/", "huge", size=300_000_000, xml=True)
    step, _ = case(src, work, service="testsigma", rules=(("service", rule),))
    return step.row("300 MB Testsigma JUnit", "20 MB", said(step.log, "larger than"))


def github_bomb(src: Path | None, work: Path) -> Row:
    rule = Rule("POST", r"/check-runs$", "bomb", size=1 << 30)
    step, _ = case(src, work, scenario=SHORT, rules=(("github", rule),))
    return step.row("GitHub-side gzip bomb (check-run create)", "16 MB", said(step.log, "larger than"))


NETWORK = (status_check, trigger, silent, silent_untimed, cancel, patch, post_step)  # idle: side by side
NETWORK_HEAVY = (bomb, huge_json, junit, github_bomb)  # memory and CPU: one at a time
WORKERS = 4  # timed cases at once: more would measure the machine's load, not the budgets
Case = Callable[[Path | None, Path], Row]


def measure(
    versions: dict[str, Path | None], timed: tuple[Case, ...], heavy: tuple[Case, ...]
) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {label: [] for label in versions}
    with tempfile.TemporaryDirectory() as tmp:

        def one(label: str, case: Case) -> Row:
            print(f"{label}: {case.__name__}…", file=sys.stderr, flush=True)
            return case(versions[label], Path(tmp) / label / case.__name__)

        jobs = [(label, case) for case in timed for label in versions]
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for (label, _), row in zip(jobs, pool.map(lambda job: one(*job), jobs), strict=True):
                rows[label].append(row)
        for case in heavy:
            for label in versions:
                rows[label].append(one(label, case))
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: dict[str, list[Row]]) -> str:
    labels = list(rows)
    head = (
        "| case | budget | "
        + " | ".join(f"{label}: exit, time, peak RSS" for label in labels)
        + " | what happened |"
    )
    lines = [head, "|" + "---|" * (len(labels) + 3)]
    for index, first in enumerate(rows[labels[0]]):
        cells = []
        notes = []
        for label in labels:
            row = rows[label][index]
            cells.append(f"{row.code}, {row.seconds:.1f} s, {row.peak_mb:,.0f} MB")
            if row.note:
                notes.append(f"{label}: {_cell(row.note)}")
        lines.append(
            f"| {_cell(first.case)} | {first.budget} | " + " | ".join(cells) + f" | {'<br>'.join(notes)} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="the src directory of another version, measured too")
    parser.add_argument(
        "--only",
        action="append",
        metavar="CASE",
        help="measure only this network case (the results file is kept)",
    )
    args = parser.parse_args()
    versions: dict[str, Path | None] = {}
    if args.before:
        if not (args.before / "testrun_action" / "__init__.py").is_file():
            parser.error(f"{args.before} holds no testrun_action package")
        versions["before"] = args.before.resolve()
    versions["after"] = Path(__file__).resolve().parent.parent / "src"
    if args.only:
        chosen = tuple(c for c in NETWORK + NETWORK_HEAVY if c.__name__ in args.only)
        if len(chosen) != len(set(args.only)):
            parser.error(f"--only takes {', '.join(c.__name__ for c in NETWORK + NETWORK_HEAVY)}")
        print(table(measure(versions, chosen, ())))
        return 0
    network = table(measure(versions, NETWORK, NETWORK_HEAVY))
    reports = table(measure(versions, hostile_reports.TIMED, hostile_reports.HEAVY))
    text = f"## Network\n\n{network}\n\n## Reports and inputs\n\n{reports}"
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(f"<!-- Written by `python -m benchmarks.hostile`. -->\n{text}\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
