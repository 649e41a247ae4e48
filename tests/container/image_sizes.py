"""What a runner downloads and unpacks for an image, and what each installed package takes of it.

Compressed: a registry stores and a runner pulls each layer as a gzip'd tar, so every layer of
`podman save` is gzip'd here at zlib's default level (6, what Docker and containers/image push with)
and counted. Layers the base already has are downloaded once for every image on it; what the action
adds is the compressed size of its own layers. Unpacked: `podman image inspect`'s Size, every layer's
tar as stored.
"""

from __future__ import annotations

import json
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .podman import podman

CHUNK = 1 << 20
GZIP_LEVEL = 6  # zlib's default, gzip.DefaultCompression in Docker's and containers/image's pushes
SAVE_TIMEOUT = 300  # seen here: a few seconds for the 230 MB image on the stand-in

# Prints each installed distribution's share of /opt/venv (the files its RECORD lists, bytecode included)
# and the action's own package under /app, as JSON: {"name": bytes}.
SHARES = """
import importlib.metadata as metadata, json, os, sysconfig
shares = {}
for dist in metadata.distributions(path=[sysconfig.get_path("purelib")]):
    files = [dist.locate_file(f) for f in dist.files or ()]
    shares[dist.metadata["Name"].lower()] = sum(os.path.getsize(f) for f in files if os.path.isfile(f))
app = 0
for path, _, names in os.walk("/app"):
    app += sum(os.path.getsize(os.path.join(path, name)) for name in names)
shares["testrun-action (/app)"] = app
print(json.dumps(dict(sorted(shares.items(), key=lambda item: -item[1]))))
"""


@dataclass(frozen=True)
class Sizes:
    unpacked: int
    compressed: int
    base_unpacked: int
    base_compressed: int

    @property
    def added_unpacked(self) -> int:
        return self.unpacked - self.base_unpacked

    @property
    def added_compressed(self) -> int:
        return self.compressed - self.base_compressed


def layer_ids(image: str) -> list[str]:
    """The image's layers, bottom first, by the digest of their uncompressed tar (diff ids)."""
    layers = json.loads(podman("image", "inspect", "--format", "{{json .RootFS.Layers}}", image).stdout)
    assert isinstance(layers, list)
    return [str(layer) for layer in layers]


def gzipped_size(stream: object) -> int:
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: a gzip header
    total = 0
    while chunk := stream.read(CHUNK):  # type: ignore[attr-defined]
        total += len(compressor.compress(chunk))
    return total + len(compressor.flush())


def compressed_layers(image: str) -> dict[str, int]:
    """Each layer's gzip'd size, by diff id, from the image's `podman save` archive."""
    with tempfile.TemporaryDirectory(prefix="image-sizes-", dir="/var/tmp") as tmp:
        archive = Path(tmp) / "image.tar"
        podman(
            "save",
            "--quiet",
            "--format",
            "docker-archive",
            "--output",
            str(archive),
            image,
            timeout=SAVE_TIMEOUT,
        )
        with tarfile.open(archive) as tar:
            extracted = tar.extractfile("manifest.json")
            assert extracted is not None
            [manifest] = json.load(extracted)
            config_file = tar.extractfile(manifest["Config"])
            assert config_file is not None
            diff_ids = json.load(config_file)["rootfs"]["diff_ids"]
            sizes = {}
            for diff_id, member in zip(diff_ids, manifest["Layers"], strict=True):
                layer = tar.extractfile(member)
                assert layer is not None
                sizes[diff_id] = gzipped_size(layer)
    return sizes


def measure(image: str, base: str, *, unpacked: int, base_unpacked: int) -> Sizes:
    layers = compressed_layers(image)
    base_layers = layer_ids(base)
    assert set(base_layers) <= set(layers), "the image is not built on this base"
    return Sizes(
        unpacked=unpacked,
        compressed=sum(layers.values()),
        base_unpacked=base_unpacked,
        base_compressed=sum(layers[layer] for layer in base_layers),
    )
