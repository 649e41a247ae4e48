"""Safe GitHub-flavoured Markdown from untrusted text. Pure functions.

Untrusted text (test names, messages, URLs from a service) can't open HTML, break a table, start a
heading or list, or open a code fence that swallows the rest of the document.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

# Characters with Markdown meaning inline; a backslash makes each literal (CommonMark 2.4).
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~^$-])")
_WHITESPACE = re.compile(r"\s+")
# `@name` and `@org/team` notify people on GitHub; a zero-width joiner after the `@` keeps the text as
# it reads and notifies no one.
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_JOINER = "\u200d"


def no_mentions(value: str) -> str:
    """`value` with every `@mention` broken, so a test name cannot notify anyone."""
    return _MENTION.sub("@" + _JOINER, value)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text(value: str, limit: int = 300) -> str:
    """One line of literal text, safe anywhere inline, including a table cell."""
    return _no_list(_literal(clip(_WHITESPACE.sub(" ", value).strip(), limit)))


def _literal(flat: str) -> str:
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return no_mentions(_INLINE_SPECIAL.sub(r"\\\1", flat))


def _no_list(flat: str) -> str:
    # "1. " or "1) " at the start of a list item would open a nested ordered list.
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", flat)


_CODE_SPAN = re.compile(r"`([^`\n]{1,200})`")


def prose(value: str, limit: int = 1000) -> str:
    """One line of our own words, with their `code spans` kept: each span becomes a safe `code`
    span, everything else literal `text`. Untrusted words inside are still safe: a service's own
    words reach a message with their backticks made quotes (`envelopes.service_message`), and
    whatever else pairs up renders as inert code."""
    flat = clip(_WHITESPACE.sub(" ", value).strip(), limit)
    pieces: list[str] = []
    at = 0
    for span in _CODE_SPAN.finditer(flat):
        if not span.group(1).strip():
            continue  # blank between the ticks: no span, the ticks stay literal
        pieces += [_literal(flat[at : span.start()]), code(span.group(1), limit)]
        at = span.end()
    pieces.append(_literal(flat[at:]))
    return _no_list("".join(pieces))


def code(value: str, limit: int = 200) -> str:
    """An inline code span, safe in a table cell. Pipes are escaped for the table parser, which
    GFM applies before code spans; backticks inside get a longer fence."""
    flat = clip(_WHITESPACE.sub(" ", value).strip(), limit).replace("|", "\\|")
    if not flat:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL with the characters that could end a link or a table cell escaped, else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if "@" in parts.netloc:  # credentials are never shown
        url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


def link(label: str, url: str | None, limit: int = 300) -> str:
    """A link with escaped text; plain escaped text when the URL is not a safe http(s) URL."""
    target = safe_url(url)
    shown = text(label, limit)
    return f"[{shown}]({target})" if target else shown


def fenced(value: str, limit: int = 4000, language: str = "text") -> str:
    """A fenced code block that no content can close early: the fence is longer than any backtick
    run inside. Its content is never parsed as Markdown or HTML."""
    body = clip(value.replace("\r\n", "\n").replace("\r", "\n").strip("\n"), limit)
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A table from cells that are already safe Markdown (built with `text`, `code` or `link`)."""
    aligns = align or "-" * len(header)
    marks = {"-": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks[a] for a in aligns) + "|"]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines)
