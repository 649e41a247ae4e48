"""Reading an answer within limits, for both HTTP clients (httpx for the services, requests under PyGithub).

- The body's size is counted after decompression and checked while it streams in: a gzip bomb is
  inflated only up to the limit, and a body that says (or turns out) to be larger is refused without
  being held in memory. Only the encodings we ask for (gzip, deflate) are accepted.
- JSON is decoded as UTF-8 with invalid bytes replaced, nesting deeper than `MAX_DEPTH` is refused, and
  lone UTF-16 surrogates (`"\\udc00"` is valid JSON; a JavaScript service that cuts an emoji in half
  sends one) become U+FFFD, so nothing downstream meets a string it cannot encode.

Errors are plain `BodyError`s; each client turns them into its own error type.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable
from typing import Any

# The largest JSON answer we read. A page holds at most 100 items on Buildkite (`per_page` <= 100,
# providers.md 3.4) and 200 on Testsigma (`size=200`, providers.md 2.1); 50 KB an item, failure
# details included, is 10 MB. Anything larger is not an answer we can use.
JSON_LIMIT = 10_000_000
# Deepest nesting accepted. No answer we read nests more than a handful of levels (providers.md);
# this keeps every reader far from Python's recursion limit.
MAX_DEPTH = 64
CHUNK = 65_536  # bytes read from the socket at a time
ACCEPT_ENCODING = "gzip, deflate"  # what we ask for, and so all we decode
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class BodyError(Exception):
    """The body was too large, undecodable or not the JSON we can read."""


class TooLarge(BodyError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit:,} bytes")
        self.limit = limit


class _Inflater:
    """Content-Encoding undone a chunk at a time, never producing more than `limit` bytes in all."""

    def __init__(self, encoding: str | None, limit: int) -> None:
        codings = [
            c.strip() for c in (encoding or "").lower().split(",") if c.strip() not in ("", "identity")
        ]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise BodyError(f"an encoding we did not ask for ({', '.join(codings)[:40]})")
        self._kind = codings[0] if codings else None
        self._limit = limit
        self._size = 0
        self._started = False
        self._inflate = self._new()

    def _new(self, raw_deflate: bool = False) -> Any:
        if self._kind is None:
            return None
        if self._kind == "deflate":
            return zlib.decompressobj(-zlib.MAX_WBITS if raw_deflate else zlib.MAX_WBITS)
        return zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _count(self, piece: bytes) -> bytes:
        self._size += len(piece)
        if self._size > self._limit:
            raise TooLarge(self._limit)
        return piece

    def feed(self, data: bytes) -> bytes:
        if self._inflate is None:
            return self._count(data)
        out = []
        while data:
            try:
                piece = self._inflate.decompress(data, self._limit - self._size + 1)
            except zlib.error:
                if self._kind == "deflate" and not self._started:  # servers that send raw deflate
                    self._inflate = self._new(raw_deflate=True)
                    self._started = True
                    continue
                raise BodyError(f"a corrupt {self._kind} body") from None
            self._started = True
            out.append(self._count(piece))
            if self._inflate.eof:
                rest = self._inflate.unused_data
                if not rest.startswith(b"\x1f\x8b"):
                    break  # trailing bytes after the stream are ignored, as curl does
                self._inflate = self._new()  # the next gzip member
                data = rest
            else:
                data = self._inflate.unconsumed_tail
        return b"".join(out)

    def flush(self) -> bytes:
        return self._count(self._inflate.flush()) if self._inflate is not None else b""


def declared_too_large(content_length: str | None, limit: int) -> bool:
    text = (content_length or "").strip()
    return text.isascii() and text.isdigit() and int(text[:20]) > limit


def read_within(chunks: Iterable[bytes], encoding: str | None, limit: int) -> bytes:
    """The decoded body of `chunks` (raw bytes as they arrive), refused once it passes `limit`."""
    inflater = _Inflater(encoding, limit)
    parts = [inflater.feed(chunk) for chunk in chunks if chunk]
    parts.append(inflater.flush())
    return b"".join(parts)


def loads(body: bytes) -> Any:
    """JSON from a body, made safe: see the module's docstring. Raises `BodyError` if it is not JSON."""
    try:
        text = body.decode(json.detect_encoding(body), "replace").lstrip("\ufeff")
        value = json.loads(text)
    except RecursionError:
        raise BodyError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        raise BodyError("not JSON") from None
    return _clean(value, 0)


def clean_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def _clean(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | dict):
        if depth >= MAX_DEPTH:
            raise BodyError(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, list):
            return [_clean(item, depth + 1) for item in value]
        return {clean_text(key): _clean(item, depth + 1) for key, item in value.items()}
    return value
