"""The limits themselves, as small units: bounded inflation, safe JSON, the wall-clock worker."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib

import pytest

from testrun_action import bodies
from testrun_action.clock import Overdue, run_within
from testrun_sim.hostile import gzip_bomb

MB = 1_000_000


def chunks(data: bytes, size: int = bodies.CHUNK) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_a_gzip_bomb_is_inflated_only_up_to_the_limit() -> None:
    bomb = chunks(gzip_bomb(1 << 30))
    tracemalloc.start()
    try:
        with pytest.raises(bodies.TooLarge):
            bodies.read_within(bomb, "gzip", MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MB  # the limit, one chunk and the parts: never the gigabyte


def test_a_body_at_the_limit_is_read_and_one_byte_more_is_refused() -> None:
    body = b"x" * 1000
    assert bodies.read_within(chunks(gzip.compress(body), 7), "gzip", 1000) == body
    assert bodies.read_within(chunks(body, 7), None, 1000) == body
    with pytest.raises(bodies.TooLarge):
        bodies.read_within(chunks(gzip.compress(body + b"y"), 7), "gzip", 1000)
    with pytest.raises(bodies.TooLarge):
        bodies.read_within([body, b"y"], "identity", 1000)


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
        ("GZIP", lambda data: gzip.compress(data[:5]) + gzip.compress(data[5:])),  # two gzip members
    ],
)
def test_the_encodings_we_ask_for_are_decoded(encoding: str, encode: object) -> None:
    body = b'{"data": {"id": 1001, "state": "running"}}'
    assert callable(encode)
    assert bodies.read_within(chunks(encode(body), 5), encoding, MB) == body


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
def test_an_encoding_we_did_not_ask_for_is_refused(encoding: str) -> None:
    with pytest.raises(bodies.BodyError, match="did not ask for"):
        bodies.read_within([b"abc"], encoding, MB)


def test_a_corrupt_gzip_body_is_refused() -> None:
    with pytest.raises(bodies.BodyError, match="corrupt gzip"):
        bodies.read_within([b"\x1f\x8b\x08\x00garbage-garbage"], "gzip", MB)


def test_a_declared_length_over_the_limit_is_refused_and_odd_lengths_are_ignored() -> None:
    assert bodies.declared_too_large("200000000", 10 * MB)
    assert not bodies.declared_too_large("1000", 10 * MB)
    assert not bodies.declared_too_large("²", 10 * MB)
    assert not bodies.declared_too_large(None, 10 * MB)


def test_lone_surrogates_are_replaced_in_keys_and_values_and_pairs_are_kept() -> None:
    body = b'{"name": "a\\udc00b", "\\ud800k": ["\\ud83d\\ude00", "\\ud83d"]}'
    assert bodies.loads(body) == {"name": "a\ufffdb", "\ufffdk": ["😀", "\ufffd"]}


def test_invalid_utf8_and_a_bom_are_not_a_failure() -> None:
    assert bodies.loads(b'\xef\xbb\xbf{"a": "x\xffy"}') == {"a": "x\ufffdy"}


def test_nesting_is_accepted_to_the_limit_and_refused_beyond_it() -> None:
    depth = bodies.MAX_DEPTH
    assert bodies.loads(b"[" * depth + b"]" * depth) is not None
    with pytest.raises(bodies.BodyError, match="nested deeper"):
        bodies.loads(b"[" * (depth + 1) + b"]" * (depth + 1))
    with pytest.raises(bodies.BodyError, match="nested deeper"):
        bodies.loads(b"[" * 200_000 + b"]" * 200_000)  # Python's own recursion limit


@pytest.mark.parametrize("body", [b"", b"<html>", b"{", b"1" * 5000])
def test_what_is_not_json_says_so(body: bytes) -> None:
    with pytest.raises(bodies.BodyError, match="not JSON"):
        bodies.loads(body)


def test_a_call_within_its_time_returns_its_result_or_its_error() -> None:
    assert run_within(1.0, lambda: 42) == 42
    with pytest.raises(KeyError):
        run_within(1.0, lambda: {}["missing"])


def test_a_call_past_its_time_is_abandoned() -> None:
    release = threading.Event()
    started = time.monotonic()
    with pytest.raises(Overdue):
        run_within(0.3, lambda: release.wait(30))
    took = time.monotonic() - started
    release.set()
    assert 0.3 <= took < 2.0
