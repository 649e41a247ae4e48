"""Image: the size of the action's image and of its base alone, as the container test last measured them
(`make container` writes `benchmarks/results/image.json`). Nothing is estimated: without that file the
table says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "image.json"


def measure() -> dict[str, Any] | None:
    if not RESULTS.exists():
        return None
    data: dict[str, Any] = json.loads(RESULTS.read_text(encoding="utf-8"))
    return data


def table(image: dict[str, Any] | None) -> str:
    if image is None:
        return (
            "Not measured: `benchmarks/results/image.json` is absent. `make container` builds the image "
            "and writes it; run `make bench` after it."
        )
    size, base = image["size_bytes"], image["base_size_bytes"]
    base_kind = (
        "a local stand-in, as no registry was reachable" if image["base_is_stand_in"] else "the pinned base"
    )
    return "\n".join(
        [
            "| Image | Size | × base |",
            "|---|---|---|",
            f"| the base alone ({base_kind}) | {base / 1e6:.1f} MB | 1.00× |",
            f"| the action's image | {size / 1e6:.1f} MB | {size / base:.2f}× |",
            f"| added by the action | {(size - base) / 1e6:.1f} MB | {(size - base) / base:.2f}× |",
            "",
            f"Built without cache in {image['build_seconds']:.1f} s; measured {image['measured_at']} by the container test.",
        ]
    )
