"""The top of the report, read in five seconds: a bar of the outcomes, the counts, the trend, and what
the comparison with recent runs says about each failure. Pure: values in, Markdown out.

The bar is a row of coloured emoji squares rather than a Mermaid pie chart: job summaries and check
runs both render GitHub-flavoured Markdown, but the Checks tab does not run Mermaid (a ```mermaid fence
shows there as a code block), while emoji are plain text that every GitHub surface, the e-mail
notification and the REST API's raw text show alike.
"""

from __future__ import annotations

from urllib.parse import quote

from ..comparison import trend
from ..model import Counts, FailedExecution, NoveltyKind, Report, Source
from . import markdown as md

BAR_WIDTH = 20  # squares: each is 5% of the tests
_SQUARES = (
    ("passed", "🟩"),
    ("failed", "🟥"),
    ("flaky", "🟨"),
    ("snoozed", "🟪"),
    ("skipped", "⬜"),
)


def shares(values: list[int], width: int = BAR_WIDTH) -> list[int]:
    """`values` as whole parts of `width` (largest remainder), every non-zero value at least one part,
    so that a single failure among thousands of passes still shows."""
    total = sum(values)
    if not total:
        return [0] * len(values)
    nonzero = [v > 0 for v in values]
    width = max(width, sum(nonzero))
    exact = [v * width / total for v in values]
    parts = [max(int(e), 1) if nz else 0 for e, nz in zip(exact, nonzero, strict=True)]
    while sum(parts) > width:  # the minimum of one took squares from the largest
        largest = max(range(len(parts)), key=lambda i: parts[i])
        parts[largest] -= 1
    by_remainder = sorted(range(len(values)), key=lambda i: parts[i] - exact[i])
    for index in by_remainder[: width - sum(parts)]:
        parts[index] += 1
    return parts


def bar(counts: Counts) -> str:
    values = [getattr(counts, name) for name, _ in _SQUARES]
    return "".join(square * n for (_, square), n in zip(_SQUARES, shares(values), strict=True))


def legend(counts: Counts, failures: tuple[FailedExecution, ...]) -> str:
    """`🟥 3 failed (2 new) · 🟩 118 passed · 🟨 2 flaky …`: the bar's key and the counts in one line."""
    judged = [f for f in failures if not f.flaky and f.novelty is not None]
    new = sum(1 for f in judged if f.novelty and f.novelty.kind is NoveltyKind.NEW)
    pieces = []
    for name, square in (_SQUARES[1], _SQUARES[0], *_SQUARES[2:]):
        n = getattr(counts, name)
        if not n and name != "passed":
            continue
        words = f"{n} {name}"
        if name == "failed":
            words = f"**{words}**" + ((f" ({new} new)" if new else " (none new)") if judged else "")
        pieces.append(f"{square} {words}")
    if counts.total > counts.done:  # tests not run at all (stopped, not executed): said, not drawn
        pieces.append(f"{counts.total - counts.done} not run")
    if counts.total >= counts.done:  # a service that counts only failures leaves the total unknown
        pieces.append(f"{counts.total} tests")
    return " · ".join(pieces)


def novelty_label(failure: FailedExecution, against: str) -> str:
    novelty = failure.novelty
    if novelty is None:
        return "–"
    if novelty.kind is NoveltyKind.NEW:
        return "🆕 **new failure**"
    if novelty.kind is NoveltyKind.KNOWN:
        return f"🔁 also failing {against}"
    return f"🎲 flaky lately ({novelty.percent}% of recent runs)"


def against(report: Report) -> str:
    """The compared runs in Markdown: on `main`."""
    history = report.history
    if history is None:
        return ""
    if history.baseline:
        return md.text(history.baseline)
    return f"on {md.code(history.branch or '')}"


def _change(now: float, then: float) -> str:
    if not then:
        return ""
    percent = round(100 * (now - then) / then)
    return f", {'+' if percent > 0 else ''}{percent}%" if percent else ", same"


def count_median(value: float) -> str:
    """A median of counts: whole, or between two counts (`0–1`) where an even number of runs split it;
    never half a test."""
    if value == int(value):
        return str(int(value))
    if value * 2 == int(value * 2):
        return f"{int(value)}–{int(value) + 1}"  # counts are never negative: int() is the floor
    return f"{value:.1f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def trend_line(report: Report) -> str | None:
    """This run's duration and failures against the median of the environment's last ended runs."""
    t = trend(report.run, report.history)
    if t is None:
        return None
    pieces = []
    if t.duration is not None and t.median_duration is not None:
        pieces.append(
            f"took **{duration(t.duration)}** (median {duration(t.median_duration)}"
            f"{_change(t.duration, t.median_duration)})"
        )
    if t.failed is not None and t.median_failed is not None:
        pieces.append(f"**{t.failed} failed** (median {count_median(t.median_failed)})")
    if not pieces:
        return None
    runs = f"the last {t.runs} ended runs" if t.runs != 1 else "the last ended run"
    return f"📈 Against {runs} of {md.code(report.environment)}: " + " · ".join(pieces)


def history_note(report: Report) -> str | None:
    """One line when the comparison or the trend could not be made, saying why."""
    history = report.history
    if history is None:
        return None
    if history.branch is not None and history.unavailable:
        return f"ℹ️ Not compared with recent runs {against(report)}: {md.text(history.unavailable.rstrip('.'), 500)}."
    if history.trend_unavailable and history.branch is None:
        return f"ℹ️ No trend: {md.text(history.trend_unavailable.rstrip('.'), 500)}."
    return None


def source_url(source: Source, path: str | None, line: int | None = None) -> str | None:
    """The file at the tested commit on GitHub (or GHES): `{server}/{repo}/blob/{sha}/{path}#L{line}`.
    None for a path that can't be one in the repository (absolute, or climbing out of it)."""
    if not path or not source.repository or not source.commit:
        return None
    clean = path.strip().replace("\\", "/")
    while clean.startswith("./"):
        clean = clean[2:]
    parts = clean.split("/")
    if not clean or clean.startswith("/") or ".." in parts or ":" in parts[0]:
        return None
    anchor = f"#L{line}" if line else ""
    return f"{source.server_url.rstrip('/')}/{source.repository}/blob/{source.commit}/{quote(clean)}{anchor}"
