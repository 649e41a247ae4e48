"""Image: what a runner downloads (compressed) and unpacks for the action's image and for its base alone,
each package's share, and the act job's time with an empty and a warm build cache, as the container test
last measured them (`make container` writes `benchmarks/results/image.json` and `act.json`). Nothing is
estimated: without those files the table says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
IMAGE = RESULTS / "image.json"
ACT = RESULTS / "act.json"


def measure() -> dict[str, Any] | None:
    if not IMAGE.exists():
        return None
    data: dict[str, Any] = json.loads(IMAGE.read_text(encoding="utf-8"))
    data["act"] = json.loads(ACT.read_text(encoding="utf-8")) if ACT.exists() else None
    return data


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def table(image: dict[str, Any] | None) -> str:
    if image is None:
        return (
            "Not measured: `benchmarks/results/image.json` is absent. `make container` builds the image "
            "and writes it; run `make bench` after it."
        )
    size, base = image["size_bytes"], image["base_size_bytes"]
    packed, base_packed = image["compressed_bytes"], image["base_compressed_bytes"]
    base_kind = (
        "a local stand-in, as no registry was reachable" if image["base_is_stand_in"] else "the pinned base"
    )
    lines = [
        "| Image | Compressed (downloaded) | × base | Unpacked | × base |",
        "|---|---|---|---|---|",
        f"| the base alone ({base_kind}) | {_mb(base_packed)} | 1.00× | {_mb(base)} | 1.00× |",
        f"| the action's image | {_mb(packed)} | {packed / base_packed:.2f}× | {_mb(size)} | {size / base:.2f}× |",
        f"| added by the action | {_mb(packed - base_packed)} | {(packed - base_packed) / base_packed:.2f}× "
        f"| {_mb(size - base)} | {(size - base) / base:.2f}× |",
        "",
        "Budget: at most 15 MB compressed on top of the base. Compressed: every layer gzip'd at level 6, as a "
        "registry serves it. Each package's share of what the action adds, unpacked:",
        "",
        "| Package | Unpacked | Share |",
        "|---|---|---|",
    ]
    added = size - base
    lines += [
        f"| {name} | {size_ / 1e6:.2f} MB | {size_ / added:.0%} |"
        for name, size_ in image["packages"].items()
    ]
    lines += [
        "",
        f"Built without cache in {image['build_seconds']:.1f} s; measured {image['measured_at']} by the container test.",
    ]
    act = image.get("act")
    if act:
        lines += [
            "",
            f"The act job (`uses: ./`, {act['act_version']}, through podman's Docker API): "
            f"{act['job_seconds_build_cache_empty']:.1f} s with an empty build cache, "
            f"{act['job_seconds_build_cache_warm']:.1f} s with a warm one; measured {act['measured_at']}.",
        ]
    return "\n".join(lines)
